import type { Request, Response } from '@google-cloud/functions-framework';
import { messageJson } from '../shared/core/envelopes/pubsub.js';
import { handlePush } from '../shared/pipeline/push.js';
import { servePubsubPush } from './pubsub-invocation.js';
import { publishingRejections } from './pubsub-rejections.js';

/**
 * `onImagePush`: Artifact Registry notifications from the `gcr` topic. Tagged INSERTs of images
 * that match rules launch one job per rule (deduplicated on rule + repository + digest); untagged
 * pushes (unless the rule allows them), cosign tags and artifacts are acknowledged without an
 * event, refused input with a `request.rejected` event.
 */
export function onImagePush(req: Request, res: Response): Promise<void> {
  return servePubsubPush('onImagePush', req, res, {
    ...publishingRejections('push'),
    async message(message, { deps }) {
      // Non-JSON data parses as undefined, which handlePush refuses with INVALID_REQUEST.
      await handlePush(messageJson(message), { messageId: message.messageId }, deps);
    },
  });
}
