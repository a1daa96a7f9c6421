import type { CloudEvent } from '@google-cloud/functions-framework';
import { handleJobNotification } from '../shared/pipeline/complete.js';
import { handlePubsubEvent } from './pubsub-invocation.js';

/**
 * `onJobStateChanged`: Batch job notifications (attributes + a plain-text sentence). Terminal
 * states of streamgate's jobs publish `job.completed`; foreign jobs and garbage are acknowledged.
 */
export function onJobStateChanged(event: CloudEvent<unknown>): Promise<void> {
  return handlePubsubEvent('onJobStateChanged', event, {
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
