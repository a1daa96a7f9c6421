import type { PubSub, Topic } from '@google-cloud/pubsub';
import { StreamgateError } from '../core/errors.js';
import type { EventSink, OutboundMessage } from '../core/ports.js';
import { memoizePromise } from './memoize.js';

export interface EventPublisherOptions {
  projectId: string;
  /** Topic id or full `projects/P/topics/T` name. */
  topic: string;
  /** host:port of an emulator or stand-in; default: pubsub.googleapis.com. */
  emulatorHost?: string;
  timeoutMs?: number;
}

/**
 * The core's `EventSink` port: publishes CloudEvents in binary content mode (`ce-*` attributes,
 * JSON data) through the real `@google-cloud/pubsub` client, imported on first use. Publish failures are transient: the
 * caller is retried, and event ids are deterministic, so consumers dedupe on `ce-id`.
 */
export function createEventPublisher(options: EventPublisherOptions) {
  let pubsub: PubSub | undefined;

  const getTopic = memoizePromise(async (): Promise<Topic> => {
    const { PubSub: Client } = await import('@google-cloud/pubsub');
    pubsub = new Client({
      projectId: options.projectId,
      ...(options.emulatorHost ? { apiEndpoint: options.emulatorHost, emulatorMode: true } : {}),
    });
    // Events are small and each invocation waits for its publish: don't hold them for a batch.
    return pubsub.topic(options.topic, { batching: { maxMessages: 100, maxMilliseconds: 2 } });
  });

  return {
    /**
     * Constructs the topic and the publisher's gRPC client, which `PubSub` otherwise creates on
     * the first publish (~100 ms measured, docs/performance.md). No RPC is made.
     */
    warmUp: async (): Promise<unknown> => {
      const target = await getTopic();
      return target.pubsub.getClientAsync_({ client: 'PublisherClient' });
    },

    async publish(message: OutboundMessage): Promise<string> {
      const target = await getTopic();
      try {
        return await target.publishMessage({
          data: Buffer.from(message.data, 'utf8'),
          attributes: message.attributes,
        });
      } catch (error) {
        // Always transient: losing an event is worse than a redelivery, and ids make repeats harmless.
        throw new StreamgateError(
          'PUBLISH_FAILED',
          `Publishing to ${options.topic} failed; it will be retried.`,
          {
            kind: 'transient',
            cause: error,
          },
        );
      }
    },

    async close(): Promise<void> {
      if (pubsub) await pubsub.close();
    },
  } satisfies EventSink & { warmUp(): Promise<unknown>; close(): Promise<void> };
}
