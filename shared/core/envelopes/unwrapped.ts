import '../zod-locale.js';
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import {
  AttributesSchema,
  MAX_MESSAGE_BYTES,
  envelopeRefusal,
  type EnvelopeResult,
  type PubsubMessage,
} from './pubsub.js';

/**
 * Unwrapped push (`pushConfig.noWrapper`): Pub/Sub POSTs the message data itself as the body.
 *
 * With `writeMetadata`, the `NoWrapper` proto comment and the payload-unwrapping guide
 * (https://cloud.google.com/pubsub/docs/payload-unwrapping) say Pub/Sub writes the metadata to
 * `x-goog-pubsub-<key>` headers and each attribute to a plain `<key>` header. Headers are
 * case-insensitive (Node lower-cases them) and share the request with ordinary ones
 * (Authorization, User-Agent, traceparent, …), so an attribute is only ever read by a name the
 * function asks for, never guessed from whatever headers arrived.
 */

/** The metadata headers Pub/Sub writes with `writeMetadata` (lower case, as Node delivers them). */
export const PUBSUB_METADATA_HEADERS = {
  subscription: 'x-goog-pubsub-subscription-name',
  messageId: 'x-goog-pubsub-message-id',
  publishTime: 'x-goog-pubsub-publish-time',
  orderingKey: 'x-goog-pubsub-ordering-key',
} as const;

/** Request headers as Node delivers them: lower-case names, repeated ones as arrays. */
export type PushHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

const MetadataSchema = z.object({
  messageId: z.string().check(z.minLength(1), z.maxLength(256)),
  publishTime: z.optional(z.string().check(z.maxLength(64))),
  subscription: z.optional(z.string().check(z.maxLength(512))),
  orderingKey: z.optional(z.string().check(z.maxLength(1024))),
});

/**
 * One header's value, looked up case-insensitively; the first of repeated ones.
 *
 * @example headerValue({ jobname: 'projects/…' }, 'JobName') // 'projects/…'
 */
export function headerValue(headers: PushHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * Decodes an unwrapped push: the body is the data. With the `x-goog-pubsub-message-id` header
 * (`writeMetadata`), the metadata comes from the `x-goog-pubsub-*` headers and the attributes
 * named in `attributeNames` from the headers of those names (other headers are never
 * attributes). Without it, the message has no attributes, `withoutMetadata` is set and its id is
 * a digest of the data, stable across redeliveries.
 *
 * @example
 *   decodeUnwrapped(body, req.headers, ['JobName', 'JobUID', 'NewJobState']);
 *   // { ok: true, message: { messageId: '123', attributes: { JobName: '…', … }, data: body } }
 */
export function decodeUnwrapped(
  body: Uint8Array,
  headers: PushHeaders,
  attributeNames: readonly string[],
): EnvelopeResult {
  if (body.length > MAX_MESSAGE_BYTES) {
    return envelopeRefusal('INVALID_ENVELOPE', 'The body is larger than a Pub/Sub message can be (10 MB).');
  }
  const data = Buffer.from(body);
  const messageId = headerValue(headers, PUBSUB_METADATA_HEADERS.messageId);
  if (messageId === undefined) {
    const digest = createHash('sha256').update(data).digest('hex');
    return {
      ok: true,
      message: { messageId: `body-sha256:${digest}`, data, attributes: {}, withoutMetadata: true },
    };
  }
  const metadata = MetadataSchema.safeParse({
    messageId,
    publishTime: headerValue(headers, PUBSUB_METADATA_HEADERS.publishTime),
    subscription: headerValue(headers, PUBSUB_METADATA_HEADERS.subscription),
    orderingKey: headerValue(headers, PUBSUB_METADATA_HEADERS.orderingKey),
  });
  if (!metadata.success) {
    const first = metadata.error.issues[0];
    const where = first ? `${first.path.join('.')}: ${first.message}` : 'bad metadata';
    return envelopeRefusal(
      'INVALID_ENVELOPE',
      `The x-goog-pubsub-* headers of the push are malformed (${where}).`,
    );
  }
  const attributes = AttributesSchema.safeParse(namedAttributes(headers, attributeNames));
  if (!attributes.success) return envelopeRefusal('INVALID_ENVELOPE', 'An attribute header is too long.');
  const { publishTime, subscription, orderingKey } = metadata.data;
  const message: PubsubMessage = {
    messageId: metadata.data.messageId,
    data,
    attributes: attributes.data,
    ...(publishTime ? { publishTime } : {}),
    ...(subscription ? { subscription } : {}),
    ...(orderingKey ? { orderingKey } : {}),
  };
  return { ok: true, message };
}

function namedAttributes(headers: PushHeaders, names: readonly string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = headerValue(headers, name);
    if (value !== undefined) attributes[name] = value;
  }
  return attributes;
}
