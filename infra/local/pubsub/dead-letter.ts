/**
 * Forwarding to a dead-letter topic, with the attributes the real service adds
 * (https://cloud.google.com/pubsub/docs/handling-failures#track-delivery-attempts).
 */
import { resourceIdOf } from './names.js';
import type { PubSubStore, SubscriptionConfig } from './store.js';
import type { Delivery } from './subscription-queue.js';

/** The attributes added to a dead-lettered message, on top of its own. */
function deadLetterAttributes(subscription: SubscriptionConfig, delivery: Delivery): Record<string, string> {
  const [, project] = subscription.name.split('/');
  return {
    ...delivery.message.attributes,
    CloudPubSubDeadLetterSourceDeliveryCount: String(delivery.attempts),
    CloudPubSubDeadLetterSourceSubscription: resourceIdOf(subscription.name),
    CloudPubSubDeadLetterSourceSubscriptionProject: project ?? '',
    CloudPubSubDeadLetterSourceTopicPublishTime: delivery.message.publishTime.toISOString(),
  };
}

export interface DeadLetterForwarderOptions {
  /** Told when the dead-letter topic is gone and the message is dropped. */
  onDropped?: (subscription: string, deadLetterTopic: string, messageId: string) => void;
}

/**
 * Returns the store's exhausted-message handler: publish the message (same data, ordering key and
 * attributes, plus the dead-letter attributes) to the subscription's dead-letter topic.
 */
export function deadLetterForwarder(store: PubSubStore, options: DeadLetterForwarderOptions = {}) {
  return (subscription: SubscriptionConfig, delivery: Delivery): void => {
    const policy = subscription.deadLetterPolicy;
    if (!policy) return;
    if (!store.topics.has(policy.deadLetterTopic)) {
      options.onDropped?.(subscription.name, policy.deadLetterTopic, delivery.message.messageId);
      return;
    }
    store.publish(policy.deadLetterTopic, {
      data: delivery.message.data,
      attributes: deadLetterAttributes(subscription, delivery),
      orderingKey: delivery.message.orderingKey,
    });
  };
}
