import type { Request, Response } from '@google-cloud/functions-framework';
import { jobDefaultsFor } from '../shared/core/config.js';
import { messageJson } from '../shared/core/envelopes/pubsub.js';
import { isStreamgateError } from '../shared/core/errors.js';
import { parseJobRequest, toLaunchRequest, type JobRequestV1 } from '../shared/core/request.js';
import { launch, reject } from '../shared/pipeline/launch.js';
import { findingOf } from './outcome.js';
import { servePubsubPush } from './pubsub-invocation.js';

/**
 * `onJobRequest`: JobRequest v1 messages published by other systems. The idempotency key is the
 * request's own `idempotencyKey`, else the Pub/Sub message id, so redeliveries make one job. An
 * unwrapped push without metadata has no message id, so it must name its own key.
 */
export function onJobRequest(req: Request, res: Response): Promise<void> {
  return servePubsubPush('onJobRequest', req, res, {
    async invalid(reason, { deps, correlationId }) {
      await reject(deps, { source: 'pubsub', correlationId, category: 'invalid', reasons: [reason] });
    },
    async message(message, { deps, correlationId }) {
      const json = messageJson(message);
      const refuse = (code: 'INVALID_REQUEST', text: string, request?: unknown, key?: string) =>
        reject(deps, {
          source: 'pubsub',
          correlationId,
          idempotencyKey: key ?? message.messageId,
          category: 'invalid',
          reasons: [{ code, message: text }],
          ...(request !== undefined ? { request } : {}),
        });
      if (json === undefined) {
        await refuse(
          'INVALID_REQUEST',
          'The message data is not UTF-8 JSON; expected a JobRequest v1 object.',
        );
        return;
      }
      let parsed: JobRequestV1;
      let request;
      try {
        parsed = parseJobRequest(json);
        request = toLaunchRequest(parsed, {
          source: 'pubsub',
          idempotencyKey: parsed.idempotencyKey ?? message.messageId,
          correlationId: parsed.correlationId ?? message.messageId,
          defaults: jobDefaultsFor(deps.config),
        });
      } catch (error) {
        if (!isStreamgateError(error) || error.transient) throw error;
        // The message names every zod issue by path.
        await refuse('INVALID_REQUEST', error.message, json, idempotencyKeyOf(json));
        return;
      }
      if (message.withoutMetadata && parsed.idempotencyKey === undefined) {
        // Without a message id, nothing would make a redelivery the same job.
        await refuse(
          'INVALID_REQUEST',
          'The push is unwrapped without write_metadata, so the message has no id to make its redeliveries one job: set idempotencyKey in the request, or turn on write_metadata for the subscription.',
          json,
        );
        return;
      }
      await launch(request, { ...deps, logger: deps.logger.child({ correlationId: request.correlationId }) });
    },
    async permanent(error, { deps, correlationId }) {
      await reject(deps, {
        source: 'pubsub',
        correlationId,
        category: 'invalid',
        reasons: [findingOf(error)],
      });
    },
  });
}

/** The request's own key, when it has a usable one, so the rejection dedupes like the launch would. */
function idempotencyKeyOf(json: unknown): string | undefined {
  const key = (json as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  return typeof key === 'string' && /^[\x21-\x7e]{1,256}$/.test(key) ? key : undefined;
}
