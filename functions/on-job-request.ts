import type { Request, Response } from '@google-cloud/functions-framework';
import { messageJson } from '../shared/core/envelopes/pubsub.js';
import { admit } from '../shared/pipeline/admit.js';
import { launch, publishRejection } from '../shared/pipeline/launch.js';
import { servePubsubPush } from './pubsub-invocation.js';
import { publishingRejections } from './pubsub-rejections.js';

/**
 * `onJobRequest`: JobRequest v1 messages published by other systems. The idempotency key is the
 * request's own `idempotencyKey`, else the Pub/Sub message id, so redeliveries make one job. An
 * unwrapped push without metadata has no message id, so it must name its own key.
 */
export function onJobRequest(req: Request, res: Response): Promise<void> {
  return servePubsubPush('onJobRequest', req, res, {
    ...publishingRejections('pubsub'),
    async message(message, { deps, correlationId }) {
      const json = messageJson(message);
      const publishRefusal = (text: string, request?: unknown, key?: string) =>
        publishRejection(deps, {
          source: 'pubsub',
          correlationId,
          idempotencyKey: key ?? message.messageId,
          category: 'invalid',
          reasons: [{ code: 'INVALID_REQUEST', message: text }],
          ...(request !== undefined ? { request } : {}),
        });
      if (json === undefined) {
        await publishRefusal('The message data is not UTF-8 JSON; expected a JobRequest v1 object.');
        return;
      }
      const ids = {
        source: 'pubsub',
        idempotencyKey: message.messageId,
        correlationId: message.messageId,
      } as const;
      const admission = admit(json, ids, deps.config);
      if (!admission.admitted) {
        // The message names every zod issue by path.
        await publishRefusal(admission.finding.message, json, admission.ownKey);
        return;
      }
      if (message.withoutMetadata && !admission.keyGiven) {
        // Without a message id, nothing would make a redelivery the same job.
        await publishRefusal(
          'The push is unwrapped without write_metadata, so the message has no id to make its redeliveries one job: set idempotencyKey in the request, or turn on write_metadata for the subscription.',
          json,
        );
        return;
      }
      const { request } = admission;
      await launch(request, { ...deps, logger: deps.logger.child({ correlationId: request.correlationId }) });
    },
  });
}
