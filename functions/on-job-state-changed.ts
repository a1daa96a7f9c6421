import type { Request, Response } from '@google-cloud/functions-framework';
import { handleJobNotification, JobNotificationSchema } from '../shared/pipeline/job-notifications.js';
import { servePubsubPush } from './pubsub-invocation.js';

/**
 * The Batch attributes handleJobNotification reads (TaskUID tells task-level notifications
 * apart). An unwrapped push carries them as headers of these names.
 */
const NOTIFICATION_ATTRIBUTES: readonly string[] = [...Object.keys(JobNotificationSchema.shape), 'TaskUID'];

/**
 * `onJobStateChanged`: Batch job notifications (attributes + a plain-text sentence). Terminal
 * states of streamgate's jobs publish `job.completed`; foreign jobs and garbage are acknowledged.
 */
export function onJobStateChanged(req: Request, res: Response): Promise<void> {
  return servePubsubPush('onJobStateChanged', req, res, {
    attributes: NOTIFICATION_ATTRIBUTES,
    // The notification is its attributes (the text is never parsed).
    needsAttributes: true,
    // Nobody asked for anything, so there is no one to send request.rejected to: log and ack.
    invalid: () => Promise.resolve(),
    async message(message, { deps }) {
      await handleJobNotification(message.attributes, { messageId: message.messageId }, deps);
    },
    permanent(error, { log }) {
      log.warn('notification dropped', { code: error.code, detail: error.message });
      return Promise.resolve();
    },
  });
}
