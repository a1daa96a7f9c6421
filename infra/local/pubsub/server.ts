/**
 * A local Pub/Sub that speaks the real gRPC API (`google.pubsub.v1.Publisher` and `Subscriber`),
 * so the real `@google-cloud/pubsub` client works against it unchanged:
 *
 * @example
 *   const pubsub = await startPubSubStandIn();
 *   const client = new PubSub({ apiEndpoint: pubsub.address, projectId: 'demo-project' });
 *   await client.createTopic('jobs');
 *   await client.topic('jobs').publishMessage({ json: { hello: 1 } });
 *   pubsub.published('jobs');                  // [{ messageId: '1', data: <Buffer …>, … }]
 *   await pubsub.close();
 */
import * as grpc from '@grpc/grpc-js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { deadLetterForwarder } from './dead-letter.js';
import { loadPubSubServices } from './protos.js';
import {
  DEFAULT_PUSH_OPTIONS,
  PushDeliverer,
  type PushAttempt,
  type PushDeliveryOptions,
} from './push-delivery.js';
import { PubSubStore, type PublishedMessage } from './store.js';
import { subscriberService } from './subscriber-service.js';
import { publisherService } from './publisher-service.js';

export interface PubSubStandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Push delivery tuning; backoffs clamp every subscription's retry policy into [min, max]. */
  push?: Partial<PushDeliveryOptions>;
  /** How long a unary Pull waits for a message before answering empty (default 5 s). */
  pullWaitMs?: number;
  /** Told about every push attempt (status 0 = network error or timeout). */
  onPushAttempt?: (attempt: PushAttempt) => void;
}

export interface PubSubStandIn {
  /** `127.0.0.1:PORT`, for `PUBSUB_EMULATOR_HOST` or `new PubSub({ apiEndpoint })`. */
  address: string;
  port: number;
  /** Every message published to a topic (full name, or a topic id matched in any project). */
  published(topic: string): PublishedMessage[];
  /**
   * Resolves with the first message on `topic` (already published or future) that matches
   * `predicate`; rejects after `timeoutMs`.
   */
  waitFor(
    topic: string,
    predicate: (m: PublishedMessage) => boolean,
    timeoutMs: number,
  ): Promise<PublishedMessage>;
  /** Publishes in-process, as a publisher on the wire would. The topic (full name) must exist. */
  publish(
    topic: string,
    message: { data: Buffer | string; attributes?: Record<string, string>; orderingKey?: string },
  ): PublishedMessage;
  /** Stops the server, push deliveries, pending pulls, streams and timers. */
  close(): Promise<void>;
}

function matchesTopic(wanted: string, actual: string): boolean {
  return wanted.startsWith('projects/') ? actual === wanted : actual.endsWith(`/topics/${wanted}`);
}

/** Starts the stand-in on 127.0.0.1. */
export async function startPubSubStandIn(options: PubSubStandInOptions = {}): Promise<PubSubStandIn> {
  const store = new PubSubStore();
  store.setExhaustedHandler(deadLetterForwarder(store));
  const services = loadPubSubServices();
  const subscriber = subscriberService(store, { pullWaitMs: options.pullWaitMs ?? 5_000 });
  const pushOptions: PushDeliveryOptions = { ...DEFAULT_PUSH_OPTIONS, ...options.push };
  const pusher = new PushDeliverer(store, pushOptions, options.onPushAttempt);

  // The real service accepts publish requests up to 10 MB; grpc-js would stop at 4 MB.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 20 * 1024 * 1024 });
  server.addService(services.publisher, publisherService(store));
  server.addService(services.subscriber, subscriber.implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });

  const waits = new Set<() => void>();
  let closed = false;

  return {
    address: `127.0.0.1:${port}`,
    port,
    published: (topic) => store.published(topic),

    waitFor(topic, predicate, timeoutMs) {
      const found = store.published(topic).find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<PublishedMessage>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          unsubscribe();
          waits.delete(cancel);
        };
        const cancel = (): void => {
          done();
          reject(new Error(`waitFor(${topic}): stand-in closed`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`waitFor(${topic}): no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        const unsubscribe = store.onPublish((name, message) => {
          if (matchesTopic(topic, name) && predicate(message)) {
            done();
            resolve(message);
          }
        });
        waits.add(cancel);
      });
    },

    publish(topic, message) {
      if (!store.topics.has(topic)) {
        throw new StreamgateError('NOT_FOUND', `Topic ${topic} does not exist in the Pub/Sub stand-in.`, {
          kind: 'permanent',
          details: { topic },
        });
      }
      return store.publish(topic, {
        data: Buffer.isBuffer(message.data) ? message.data : Buffer.from(message.data),
        attributes: message.attributes ?? {},
        orderingKey: message.orderingKey ?? '',
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const cancel of [...waits]) cancel();
      subscriber.close();
      await pusher.close();
      store.close();
      await new Promise<void>((resolve) => {
        // Give graceful shutdown a moment, then cut whatever is still open.
        const force = setTimeout(() => server.forceShutdown(), 250);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
