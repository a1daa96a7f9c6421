import { decodePubsubEvent, envelopeRefusal, topicFromSource, type EnvelopeResult } from './pubsub.js';
import { decodeUnwrapped, headerValue, PUBSUB_METADATA_HEADERS, type PushHeaders } from './unwrapped.js';
import { parseUtf8Json } from '../utf8-json.js';

/**
 * Reads the Pub/Sub message out of one HTTP request to an event function, whichever way it was
 * delivered. The event functions are HTTP functions (functions/index.ts) because a functions-
 * framework CloudEvent function never sees the headers an unwrapped push carries its metadata
 * in, and fails on a text body before our code runs.
 *
 * In this order:
 * 1. binary CloudEvent (`ce-type`, `ce-specversion`, `ce-source`, `ce-id`), as Eventarc sends;
 * 2. an `x-goog-pubsub-message-id` header: an unwrapped push with `writeMetadata`, so the body is
 *    the data whatever it looks like (unless it is the wrapped push of that very message id);
 * 3. structured CloudEvent (`application/cloudevents+json`, or a JSON object with `specversion`);
 * 4. a legacy background event (`context` / `eventType`): refused, no Pub/Sub push sends one;
 * 5. the wrapped push body `{message, subscription}`;
 * 6. anything else: an unwrapped push without metadata, whose body is the data.
 */

/** What the event functions read from a request. */
export interface PushRequest {
  /** Path (and query) of the request: the push endpoint names the topic in it. */
  path: string;
  headers: PushHeaders;
  body: Uint8Array;
}

const BINARY_CLOUDEVENT_HEADERS = ['ce-type', 'ce-specversion', 'ce-source', 'ce-id'] as const;

/**
 * Decodes the request into a Pub/Sub message. `attributeNames` are the attributes the function
 * reads: only those are taken from the headers of an unwrapped push.
 *
 * @example
 *   const result = decodePushRequest({ path: req.url, headers: req.headers, body }, ['JobName']);
 *   if (!result.ok) return envelopeRefusal(result.reason); // permanent: ack, never retry
 */
export function decodePushRequest(
  request: PushRequest,
  attributeNames: readonly string[] = [],
): EnvelopeResult {
  const { headers, body } = request;
  if (BINARY_CLOUDEVENT_HEADERS.every((name) => headerValue(headers, name))) {
    return decodePubsubEvent({
      type: headerValue(headers, 'ce-type'),
      source: headerValue(headers, 'ce-source'),
      id: headerValue(headers, 'ce-id'),
      data: body,
    });
  }
  const json = jsonObject(body);
  const pushedId = headerValue(headers, PUBSUB_METADATA_HEADERS.messageId);
  if (pushedId !== undefined && !wrapsMessage(json, pushedId)) {
    return withTopic(decodeUnwrapped(body, headers, attributeNames), request.path);
  }
  const contentType = headerValue(headers, 'content-type') ?? '';
  if (/^application\/cloudevents\+json/i.test(contentType) || typeof json?.specversion === 'string') {
    return decodePubsubEvent(json);
  }
  if (json && ('context' in json || (typeof json.eventType === 'string' && 'resource' in json))) {
    return envelopeRefusal(
      'UNSUPPORTED_EVENT',
      'Legacy background events (Cloud Functions 1st gen) are not handled here; Pub/Sub pushes the message itself.',
    );
  }
  if (json && 'message' in json) return withTopic(decodePubsubEvent(json), request.path);
  // No headers are read here: without writeMetadata, none of them came from Pub/Sub.
  return withTopic(decodeUnwrapped(body, {}, []), request.path);
}

/** The body as a JSON object, or undefined (arrays, other JSON, non-JSON and non-UTF-8 alike). */
function jsonObject(body: Uint8Array): Record<string, unknown> | undefined {
  const start = body.findIndex((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d);
  if (start < 0 || body[start] !== 0x7b) return undefined; // not '{': skip parsing large data
  const value = parseUtf8Json(body);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * True when the body is the wrapped push of the message the header names. Message data cannot
 * hold its own id (Pub/Sub assigns it after the data is written), so this tells a wrapped push
 * that also carries the header from unwrapped data that happens to look like an envelope.
 */
function wrapsMessage(json: Record<string, unknown> | undefined, messageId: string): boolean {
  const message = json?.message as { messageId?: unknown; message_id?: unknown } | null | undefined;
  return message?.messageId === messageId || message?.message_id === messageId;
}

function withTopic(result: EnvelopeResult, path: string): EnvelopeResult {
  if (!result.ok || result.message.topic !== undefined) return result;
  const topic = topicFromSource(path);
  return topic ? { ok: true, message: { ...result.message, topic } } : result;
}
