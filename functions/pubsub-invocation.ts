/**
 * The part every Pub/Sub-pushed function shares: read the push request, get the runtime, find
 * the Pub/Sub message in whatever was delivered (CloudEvent, wrapped or unwrapped push), and turn
 * the outcome into an ack (204) or a redelivery (500; 429 when a maxJobsInFlight bound is reached).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from '../shared/adapters/logger.js';
import { systemClock } from '../shared/adapters/system-clock.js';
import type { PubsubMessage } from '../shared/core/envelopes/pubsub.js';
import { decodePushRequest, type PushRequest } from '../shared/core/envelopes/push-request.js';
import { headerValue } from '../shared/core/envelopes/unwrapped.js';
import type { StreamgateError } from '../shared/core/errors.js';
import { traceLogFields } from '../shared/core/log-lines.js';
import type { Finding } from '../shared/core/reason-codes.js';
import { TRACE_ATTRIBUTES, traceFromAttributes, traceFromHeaders } from '../shared/core/trace-context.js';
import { failCloudEvent, isInFlightLimit, isPermanent } from './retry-or-reject.js';
import { getRuntime, type Runtime } from './runtime.js';

export interface Invocation {
  /** The runtime with a logger that carries this invocation's ids. */
  deps: Runtime;
  log: Logger;
  /** Pub/Sub message id when decoded, else the CloudEvent id (or 'unknown'). */
  correlationId: string;
}

export interface PubsubHandlers {
  /**
   * The attributes the function reads. An unwrapped push with `writeMetadata` carries them as
   * headers of these names; no other header is ever taken for an attribute.
   */
  attributes?: readonly string[];
  /** The message means nothing without its attributes: an unwrapped push without metadata is refused. */
  needsAttributes?: boolean;
  /** The event holds no usable Pub/Sub message: a permanent refusal, acknowledged. */
  invalid(reason: Finding, invocation: Invocation): Promise<void>;
  message(message: PubsubMessage, invocation: Invocation): Promise<void>;
  /** A permanent pipeline error (e.g. Batch INVALID_ARGUMENT): acknowledged after this runs. */
  permanent(error: StreamgateError, invocation: Invocation): Promise<void>;
}

/** A wrapped 10 MB message is ~13.4 MB of base64 JSON; nothing Pub/Sub pushes is larger. */
const MAX_PUSH_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Serves one push request to an event function: 204 once handled, bad input included (Pub/Sub
 * acks it); 500 with functions-framework's `function-execution-status: error` when it must be
 * redelivered (transient failures, a misconfigured deployment, bugs).
 *
 * @example
 *   functionsFramework.http('onImagePush', (req, res) => servePubsubPush('onImagePush', req, res, handlers));
 */
export async function servePubsubPush(
  functionName: string,
  req: Request,
  res: Response,
  handlers: PubsubHandlers,
): Promise<void> {
  if (req.method !== 'POST') {
    res.status(405).set('Allow', 'POST').end();
    return;
  }
  const body = await requestBody(req);
  if (body === undefined) {
    res.status(413).set('Connection', 'close').end();
    return;
  }
  try {
    await handlePubsubEvent(functionName, { path: req.originalUrl, headers: req.headers, body }, handlers);
  } catch (error) {
    // Logged where it was thrown (failCloudEvent, or the runtime's own config report).
    if (isInFlightLimit(error)) {
      // Redelivered with the subscription's backoff like any nack, without counting as a 5xx.
      res.status(429).end();
      return;
    }
    res.status(500).set('function-execution-status', 'error').end();
    return;
  }
  res.status(204).end();
}

/**
 * The body as sent: functions-framework's parsers keep it in `rawBody`; a request none of them
 * took (no Content-Type, as an unwrapped push may arrive) is read here. Undefined when too large.
 */
async function requestBody(req: Request): Promise<Buffer | undefined> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (req.readableEnded) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PUSH_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Runs one push. Returns normally (ack) for handled input, bad input included; throws
 * (redelivery) for transient failures, a misconfigured deployment and bugs.
 */
async function handlePubsubEvent(
  functionName: string,
  request: PushRequest,
  handlers: PubsubHandlers,
): Promise<void> {
  const receivedAt = systemClock.now();
  // A bad config throws here: Pub/Sub keeps retrying until the deployment is fixed.
  const runtime = await getRuntime();
  const eventId = headerValue(request.headers, 'ce-id') ?? 'unknown';
  const { project } = runtime.config;
  const httpTrace = traceFromHeaders((name) => headerValue(request.headers, name));
  let log = runtime.logger.child({
    function: functionName,
    correlationId: eventId,
    ...traceLogFields(httpTrace, project),
  });
  try {
    const decoded = decodePushRequest(request, [...(handlers.attributes ?? []), ...TRACE_ATTRIBUTES]);
    const correlationId = decoded.ok ? decoded.message.messageId : eventId;
    // The publisher's trace, when the message carries one, joins these lines to its request.
    const messageTrace = decoded.ok ? traceFromAttributes(decoded.message.attributes) : undefined;
    log = log.child({ correlationId, ...traceLogFields(messageTrace, project) });
    const deps: Runtime = { ...runtime, logger: log, receivedAt };
    const invocation: Invocation = { deps, log, correlationId };
    if (!decoded.ok) return await handInvalid(decoded.reason, invocation, handlers);
    const missing = missingMetadata(functionName, decoded.message, handlers);
    if (missing) return await handInvalid(missing, invocation, handlers);
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

/** A push with no usable message: logged, then acknowledged through the function's `invalid`. */
function handInvalid(reason: Finding, invocation: Invocation, handlers: PubsubHandlers): Promise<void> {
  invocation.log.warn('event refused: no usable Pub/Sub message', {
    reason: reason.code,
    detail: reason.message,
  });
  return handlers.invalid(reason, invocation);
}

function missingMetadata(
  functionName: string,
  message: PubsubMessage,
  handlers: PubsubHandlers,
): Finding | undefined {
  if (!handlers.needsAttributes || !message.withoutMetadata) return undefined;
  const names = (handlers.attributes ?? []).join(', ');
  return {
    code: 'INVALID_ENVELOPE',
    message: `The push is unwrapped without write_metadata, so it carries no attributes, and ${functionName} reads ${names} from them; turn on write_metadata for the subscription.`,
  };
}
