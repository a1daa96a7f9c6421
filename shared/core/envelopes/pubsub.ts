import '../zod-locale.js';
import * as z from 'zod/mini';
import type { Finding, RequestReasonCode } from '../reason-codes.js';
import { parseUtf8Json } from '../utf8-json.js';

/**
 * Pub/Sub envelopes, kept apart from the payload schemas (the Powertools "parser envelope" idea):
 * this module only finds the Pub/Sub message inside whatever functions-framework handed us.
 *
 * Accepted shapes (see test/fixtures/corpus/events):
 * - a CloudEvent of type `google.cloud.pubsub.topic.v1.messagePublished`, structured or binary,
 *   whose `data` is `MessagePublishedData` (`{message, subscription}`), as an object or JSON text;
 * - the raw push body `{message, subscription}` when functions-framework passed it through;
 * - camelCase and snake_case field spellings (`messageId`/`message_id`, `publishTime`/`publish_time`).
 */

export const PUBSUB_CLOUDEVENT_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

/** The decoded message every Pub/Sub entry point works from. */
export interface PubsubMessage {
  messageId: string;
  publishTime?: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey?: string;
  deliveryAttempt?: number;
  /** `projects/P/topics/T` when the CloudEvent source (or the push endpoint's path) names it. */
  topic?: string;
  subscription?: string;
  /**
   * Set for an unwrapped push without `writeMetadata`: Pub/Sub sent the data alone, so there are
   * no attributes and `messageId` is a digest of the data (the same on every redelivery).
   */
  withoutMetadata?: true;
}

export type EnvelopeResult =
  { ok: true; message: PubsubMessage } | { ok: false; reason: Finding<RequestReasonCode> };

/** Pub/Sub's own message size limit. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const MAX_ATTRIBUTE_VALUE = 1024 * 1024;
/** Attribute names and values within bounds (wider than Pub/Sub's own, never narrower). */
export const AttributesSchema = z.record(
  z.string().check(z.maxLength(1024)),
  z.string().check(z.maxLength(MAX_ATTRIBUTE_VALUE)),
);

const MessageSchema = z
  .looseObject({
    data: z.optional(z.string().check(z.maxLength(Math.ceil((MAX_MESSAGE_BYTES * 4) / 3) + 4))),
    attributes: z.optional(z.nullable(AttributesSchema)),
    messageId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    message_id: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    publishTime: z.optional(z.string().check(z.maxLength(64))),
    publish_time: z.optional(z.string().check(z.maxLength(64))),
    orderingKey: z.optional(z.string().check(z.maxLength(1024))),
    ordering_key: z.optional(z.string().check(z.maxLength(1024))),
  })
  .check(
    z.refine((m) => m.data === undefined || BASE64.test(m.data), { message: 'message.data is not base64' }),
  );

const MessagePublishedDataSchema = z.looseObject({
  message: MessageSchema,
  subscription: z.optional(z.string().check(z.maxLength(512))),
  deliveryAttempt: z.optional(z.int().check(z.minimum(0))),
});

const CloudEventHeadSchema = z.looseObject({
  type: z.optional(z.string().check(z.maxLength(512))),
  source: z.optional(z.string().check(z.maxLength(1024))),
  id: z.optional(z.string().check(z.maxLength(512))),
  data: z.optional(z.unknown()),
});

/** A refused envelope, with its reason. */
export function envelopeRefusal(code: RequestReasonCode, message: string): EnvelopeResult {
  return { ok: false, reason: { code, message } };
}

function toObject(data: unknown): unknown {
  if (typeof data === 'string') {
    try {
      return JSON.parse(data) as unknown;
    } catch {
      return undefined;
    }
  }
  if (data instanceof Uint8Array) return toObject(Buffer.from(data).toString('utf8'));
  return data;
}

/**
 * The `projects/P/topics/T` a CloudEvent source or a push endpoint path names.
 *
 * @example topicFromSource('/projects/p/topics/gcr') // 'projects/p/topics/gcr'
 */
export function topicFromSource(source: string | undefined): string | undefined {
  const match = source?.match(/projects\/[^/]+\/topics\/[^/?#]+/);
  return match?.[0];
}

/**
 * Finds and decodes the Pub/Sub message in a CloudEvent (or a raw push body). For a whole push
 * request (headers and body, wrapped or not) use `decodePushRequest` (push-request.ts).
 *
 * @example
 *   const result = decodePubsubEvent(cloudEvent);
 *   if (!result.ok) return envelopeRefusal(result.reason); // permanent: ack, never retry
 *   const text = result.message.data.toString('utf8');
 */
export function decodePubsubEvent(event: unknown): EnvelopeResult {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return envelopeRefusal(
      'INVALID_ENVELOPE',
      'The event is not an object, so it cannot carry a Pub/Sub message.',
    );
  }
  const head = CloudEventHeadSchema.safeParse(event);
  if (!head.success) return envelopeRefusal('INVALID_ENVELOPE', 'The CloudEvent attributes are not strings.');
  const { type, source } = head.data;
  if (type !== undefined && type !== PUBSUB_CLOUDEVENT_TYPE) {
    return envelopeRefusal(
      'UNSUPPORTED_EVENT',
      `Events of type "${type.slice(0, 120)}" are not handled here; this function expects ${PUBSUB_CLOUDEVENT_TYPE}.`,
    );
  }
  // A typed CloudEvent carries MessagePublishedData in `data`; an untyped body may itself be the push body.
  const candidate = type === undefined && 'message' in event ? event : toObject(head.data.data);
  const parsed = MessagePublishedDataSchema.safeParse(candidate);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown shape';
    return envelopeRefusal('INVALID_ENVELOPE', `The event does not contain a Pub/Sub message (${where}).`);
  }
  const { message, subscription, deliveryAttempt } = parsed.data;
  const messageId = message.messageId ?? message.message_id ?? head.data.id;
  if (!messageId) return envelopeRefusal('INVALID_ENVELOPE', 'The Pub/Sub message has no messageId.');
  const publishTime = message.publishTime ?? message.publish_time;
  const orderingKey = message.orderingKey ?? message.ordering_key;
  const topic = topicFromSource(source);
  return {
    ok: true,
    message: {
      messageId,
      data: Buffer.from(message.data ?? '', 'base64'),
      attributes: ownAttributes(candidate, message.attributes),
      ...(publishTime ? { publishTime } : {}),
      ...(orderingKey ? { orderingKey } : {}),
      ...(deliveryAttempt !== undefined ? { deliveryAttempt } : {}),
      ...(topic ? { topic } : {}),
      ...(subscription ? { subscription } : {}),
    },
  };
}

/**
 * The attributes as sent. zod rebuilds records by assignment, which drops a `__proto__` key (a legal
 * Pub/Sub attribute name) without validating it, so that one entry is copied from the input when
 * it is a string within the limit; every other entry is zod's.
 */
function ownAttributes(
  candidate: unknown,
  parsed: Record<string, string> | null | undefined,
): Record<string, string> {
  const attributes: Record<string, string> = { ...(parsed ?? {}) };
  const raw = (candidate as { message?: { attributes?: unknown } }).message?.attributes;
  if (raw !== null && typeof raw === 'object' && Object.hasOwn(raw, '__proto__')) {
    const value = (raw as Record<string, unknown>)['__proto__'];
    if (typeof value === 'string' && value.length <= MAX_ATTRIBUTE_VALUE)
      Object.defineProperty(attributes, '__proto__', {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return attributes;
}

/**
 * Parses the message data as JSON. Returns undefined for empty, non-UTF-8 or non-JSON data, so the
 * caller can reject with its own reason code.
 */
export function messageJson(message: PubsubMessage): unknown {
  return parseUtf8Json(message.data);
}
