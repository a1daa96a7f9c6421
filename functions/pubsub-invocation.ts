/**
 * The part every Pub/Sub-triggered function shares: get the runtime, find the Pub/Sub message in
 * whatever functions-framework delivered, and turn failures into acks or redeliveries.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Logger } from '../shared/adapters/logger.js';
import { decodePubsubEvent, type PubsubMessage } from '../shared/core/envelopes/pubsub.js';
import type { StreamgateError } from '../shared/core/errors.js';
import type { Finding } from '../shared/core/reason-codes.js';
import { failCloudEvent, isPermanent } from './outcome.js';
import { getRuntime, type Runtime } from './runtime.js';

export interface Invocation {
  /** The runtime with a logger that carries this invocation's ids. */
  deps: Runtime;
  log: Logger;
  /** Pub/Sub message id when decoded, else the CloudEvent id (or 'unknown'). */
  correlationId: string;
}

export interface PubsubHandlers {
  /** The event holds no usable Pub/Sub message: a permanent refusal, acknowledged. */
  invalid(reason: Finding, invocation: Invocation): Promise<void>;
  message(message: PubsubMessage, invocation: Invocation): Promise<void>;
  /** A permanent pipeline error (e.g. Batch INVALID_ARGUMENT): acknowledged after this runs. */
  permanent(error: StreamgateError, invocation: Invocation): Promise<void>;
}

/**
 * Runs one CloudEvent invocation. Returns normally (204, ack) for handled input, bad input
 * included; throws (500, redelivery) for transient failures, a misconfigured deployment and bugs.
 */
export async function handlePubsubEvent(
  functionName: string,
  event: CloudEvent<unknown>,
  handlers: PubsubHandlers,
): Promise<void> {
  // A bad config throws here: Pub/Sub keeps retrying until the deployment is fixed.
  const runtime = await getRuntime();
  const decoded = decodePubsubEvent(event);
  const eventId = typeof (event as { id?: unknown } | null)?.id === 'string' ? event.id : undefined;
  const correlationId = decoded.ok ? decoded.message.messageId : (eventId ?? 'unknown');
  const log = runtime.logger.child({ function: functionName, correlationId });
  const invocation: Invocation = { deps: { ...runtime, logger: log }, log, correlationId };
  try {
    if (!decoded.ok) {
      log.warn('event refused: no Pub/Sub message', {
        reason: decoded.reason.code,
        detail: decoded.reason.message,
      });
      await handlers.invalid(decoded.reason, invocation);
      return;
    }
    try {
      await handlers.message(decoded.message, invocation);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      await handlers.permanent(error, invocation);
    }
  } catch (error) {
    failCloudEvent(error, log);
  }
}
