/**
 * Tails streamgate's events topic through the real `@google-cloud/pubsub` client (StreamingPull on
 * a pull subscription of its own), decoding each binary-mode message into a CloudEvent.
 */
import { randomBytes } from 'node:crypto';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { fromPubsubMessage, type StreamgateEvent } from '../../shared/core/cloudevent.js';

export interface EventTailOptions {
  /** `127.0.0.1:port` of the Pub/Sub stand-in (or emulator). */
  pubsubAddress: string;
  project: string;
  /** Events topic id. */
  topic: string;
  /** Subscription id; default a fresh `streamgate-tail-<random>` that close() deletes. */
  subscription?: string;
  /** Called for every decoded event, in arrival order. */
  onEvent?: (event: StreamgateEvent) => void;
  /** Called for messages that are not streamgate events (they are acked and skipped). */
  onInvalid?: (error: unknown) => void;
}

export interface EventTail {
  /** Every event received so far. */
  readonly events: readonly StreamgateEvent[];
  /** The first event (already received or future) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (event: StreamgateEvent) => boolean, timeoutMs: number): Promise<StreamgateEvent>;
  /** Stops pulling; deletes the subscription when the tail created it. */
  close(): Promise<void>;
}

/**
 * Subscribes to the events topic. Only events published after this resolves are seen
 * (Pub/Sub delivers nothing older than the subscription).
 *
 * @example
 *   const tail = await tailEvents({ pubsubAddress, project: 'demo-project', topic: 'streamgate-events' });
 *   const done = await tail.waitFor((e) => e.type === EVENT_TYPES.completed, 30_000);
 *   await tail.close();
 */
export async function tailEvents(options: EventTailOptions): Promise<EventTail> {
  const client = new PubSub({ apiEndpoint: options.pubsubAddress, projectId: options.project });
  const owned = options.subscription === undefined;
  const name = options.subscription ?? `streamgate-tail-${randomBytes(6).toString('hex')}`;
  const events: StreamgateEvent[] = [];
  const waiters = new Set<{
    predicate: (event: StreamgateEvent) => boolean;
    resolve: (event: StreamgateEvent) => void;
  }>();
  let subscription: Subscription;
  try {
    [subscription] = owned
      ? await client.topic(options.topic).createSubscription(name, { ackDeadlineSeconds: 30 })
      : [client.subscription(name)];
  } catch (error) {
    await client.close();
    throw error;
  }

  subscription.on('message', (message: Message) => {
    message.ack();
    let event: StreamgateEvent;
    try {
      event = fromPubsubMessage({ data: message.data, attributes: message.attributes });
    } catch (error) {
      options.onInvalid?.(error);
      return;
    }
    events.push(event);
    options.onEvent?.(event);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  // Stream errors are retried by the client; surface nothing here so a restart does not crash us.
  subscription.on('error', (error) => options.onInvalid?.(error));

  let closing: Promise<void> | undefined;
  return {
    events,
    waitFor(predicate, timeoutMs) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<StreamgateEvent>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (event: StreamgateEvent) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event within ${timeoutMs} ms (saw ${events.length} events)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      closing ??= (async () => {
        subscription.removeAllListeners('message');
        await subscription.close().catch(() => undefined);
        if (owned) await subscription.delete().catch(() => undefined);
        await client.close().catch(() => undefined);
      })();
      return closing;
    },
  };
}
