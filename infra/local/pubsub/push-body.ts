/**
 * The JSON body a push subscription POSTs: the same `{message, subscription}` envelope the
 * real service and the emulator send, with both camelCase and snake_case id/time fields.
 */
import type { StoredMessage } from './wire.js';

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
