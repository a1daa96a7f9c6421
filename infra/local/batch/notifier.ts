import type { Logger } from '../../../shared/adapters/logger.js';
import type { NotificationMessage, OutgoingNotification } from './notification-format.js';
import type { TimerSet } from './timers.js';

/** Where the stand-in sends Batch's Pub/Sub notifications. `topic` is `projects/P/topics/T`. */
export type Notify = (topic: string, message: NotificationMessage) => Promise<void> | void;

export interface DeliveryOptions {
  notify: Notify;
  logger: Logger;
  timers: TimerSet;
  /** Tries per message, first one included. */
  attempts?: number;
  /** Backoff before the second try; doubles after that. */
  baseDelayMs?: number;
}

/**
 * Delivers notifications one at a time, in order, retrying a failing `notify` a few times with
 * backoff. A message that still fails is logged and dropped: it never crashes the stand-in.
 */
export class NotificationDelivery {
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private delivered = 0;
  private dropped = 0;

  constructor(private readonly options: DeliveryOptions) {}

  enqueue(items: readonly OutgoingNotification[]): void {
    if (this.closed) return;
    for (const item of items) this.chain = this.chain.then(() => this.deliver(item));
  }

  /** Resolves when everything queued so far is delivered or dropped. */
  idle(): Promise<void> {
    return this.chain;
  }

  stats(): { delivered: number; dropped: number } {
    return { delivered: this.delivered, dropped: this.dropped };
  }

  /** Stops retrying and accepts nothing more; in-flight retries end at once. */
  close(): Promise<void> {
    this.closed = true;
    return this.chain;
  }

  private async deliver(item: OutgoingNotification): Promise<void> {
    const attempts = Math.max(1, this.options.attempts ?? 4);
    let delay = this.options.baseDelayMs ?? 50;
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      try {
        await this.options.notify(item.topic, item.message);
        this.delivered += 1;
        return;
      } catch (error) {
        this.options.logger.warn('batch stand-in: notification failed', {
          topic: item.topic,
          attempt,
          attempts,
          error,
        });
        if (attempt < attempts && !(await this.options.timers.sleep(delay))) break;
        delay *= 2;
      }
    }
    this.dropped += 1;
    this.options.logger.error('batch stand-in: notification dropped', {
      topic: item.topic,
      attributes: item.message.attributes,
    });
  }
}

export interface PubSubNotifier {
  notify: Notify;
  /** Closes the Pub/Sub client, if one was created. */
  close(): Promise<void>;
}

/**
 * A `Notify` that publishes through the real `@google-cloud/pubsub` client to an emulator or
 * stand-in at `address` (`host:port`, plain text). The client is imported on first use.
 *
 * @example
 *   const pubsub = createPubSubNotifier('127.0.0.1:8085');
 *   const batch = await startBatchStandIn({ notify: pubsub.notify });
 */
export function createPubSubNotifier(address: string, options: { projectId?: string } = {}): PubSubNotifier {
  type Client = import('@google-cloud/pubsub').PubSub;
  type Topic = import('@google-cloud/pubsub').Topic;
  let client: Promise<Client> | undefined;
  // One Topic (and so one publisher) per topic name, not one per message.
  const topics = new Map<string, Topic>();
  const getClient = (): Promise<Client> => {
    client ??= import('@google-cloud/pubsub').then(
      ({ PubSub }) => new PubSub({ apiEndpoint: address, projectId: options.projectId ?? 'demo-project' }),
    );
    return client;
  };
  return {
    async notify(topic, message) {
      const pubsub = await getClient();
      let handle = topics.get(topic);
      if (!handle) {
        handle = pubsub.topic(topic);
        topics.set(topic, handle);
      }
      await handle.publishMessage({ data: message.data, attributes: message.attributes });
    },
    async close() {
      if (client) await (await client).close();
    },
  };
}
