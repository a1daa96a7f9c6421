/**
 * What a push subscription POSTs. Wrapped (the default): the same `{message, subscription}` JSON
 * envelope the real service and the emulator send, with both camelCase and snake_case id/time
 * fields. Unwrapped (`noWrapper`, https://cloud.google.com/pubsub/docs/payload-unwrapping): the
 * data itself; with `writeMetadata`, each attribute as a `<key>` header and the metadata as
 * `x-goog-pubsub-<key>` headers.
 */
import type { StoredMessage } from './wire.js';

/** Headers and body of one push POST. */
export interface PushRequestParts {
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Options of the subscription that shape the POST. */
export interface PushShape {
  /** Present only when the subscription has a dead-letter policy, as on the real service. */
  deliveryAttempt: number | undefined;
  noWrapper: { writeMetadata: boolean } | undefined;
}

/**
 * Headers the transport owns. The service's handling of attributes named like these is
 * undocumented; the stand-in drops them rather than fail every delivery of the message.
 */
const TRANSPORT_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Builds the POST for one delivery of `message` on `subscription`.
 *
 * @example
 *   const { headers, body } = pushRequest(message, 'projects/p/subscriptions/s', {
 *     deliveryAttempt: undefined,
 *     noWrapper: { writeMetadata: true },
 *   });
 */
export function pushRequest(
  message: StoredMessage,
  subscription: string,
  shape: PushShape,
): PushRequestParts {
  if (!shape.noWrapper) {
    const body = pushBody(message, subscription, shape.deliveryAttempt);
    return { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
  }
  const headers = shape.noWrapper.writeMetadata ? metadataHeaders(message, subscription) : {};
  return { headers, body: message.data };
}

function metadataHeaders(message: StoredMessage, subscription: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    const key = name.toLowerCase();
    if (HEADER_NAME.test(name) && HEADER_VALUE.test(value) && !TRANSPORT_HEADERS.has(key))
      headers[key] = value;
  }
  // Written after the attributes, so an attribute cannot pose as metadata.
  headers['x-goog-pubsub-subscription-name'] = subscription;
  headers['x-goog-pubsub-message-id'] = message.messageId;
  headers['x-goog-pubsub-publish-time'] = message.publishTime.toISOString();
  if (message.orderingKey) headers['x-goog-pubsub-ordering-key'] = message.orderingKey;
  return headers;
}

export interface PushBody {
  message: {
    data: string;
    attributes: Record<string, string>;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
    orderingKey?: string;
  };
  subscription: string;
  deliveryAttempt?: number;
}

/**
 * Builds the push body. `deliveryAttempt` is present only when the subscription has a dead-letter
 * policy, as on the real service.
 *
 * @example
 *   JSON.stringify(pushBody(message, 'projects/p/subscriptions/s', undefined));
 */
export function pushBody(
  message: StoredMessage,
  subscription: string,
  deliveryAttempt: number | undefined,
): PushBody {
  const publishTime = message.publishTime.toISOString();
  return {
    message: {
      data: message.data.toString('base64'),
      attributes: message.attributes,
      messageId: message.messageId,
      message_id: message.messageId,
      publishTime,
      publish_time: publishTime,
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    },
    subscription,
    ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
  };
}
