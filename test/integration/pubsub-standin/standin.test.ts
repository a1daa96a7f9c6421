/**
 * Stand-in-only behaviour: dead-lettering, validation ranges, the in-process helpers
 * (`published`, `waitFor`, `publish`), push concurrency, server-side StreamingPull flow control
 * and a clean `close()`. Shared behaviour is in contract.test.ts.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { PubSub, v1 } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StreamgateError } from '../../../shared/core/errors.js';
import { loadPubSubServices } from '../../../infra/local/pubsub/protos.js';
import { startPubSubStandIn, type PubSubStandIn } from '../../../infra/local/pubsub/server.js';
import { startPushReceiver, type PushReceiver } from './push-receiver.js';

const PROJECT = 'demo-project';
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const topicName = (id: string) => `projects/${PROJECT}/topics/${id}`;
const subName = (id: string) => `projects/${PROJECT}/subscriptions/${id}`;
const grpcCode = (error: unknown) => (error as { code?: number }).code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Pub/Sub stand-in', () => {
  let standIn: PubSubStandIn;
  let pubsub: PubSub;
  let subscriber: v1.SubscriberClient;
  const receivers: PushReceiver[] = [];

  beforeAll(async () => {
    standIn = await startPubSubStandIn({
      push: { minBackoffMs: 20, maxBackoffMs: 150, concurrency: 2, timeoutMs: 2_000 },
      pullWaitMs: 500,
    });
    pubsub = new PubSub({ apiEndpoint: standIn.address, projectId: PROJECT });
    subscriber = new v1.SubscriberClient({
      apiEndpoint: '127.0.0.1',
      port: standIn.port,
      sslCreds: grpc.credentials.createInsecure(),
      projectId: PROJECT,
    });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await subscriber?.close();
    await pubsub?.close();
    await standIn?.close();
  });

  async function receiver(respond: (n: number) => number, delayMs?: number): Promise<PushReceiver> {
    const r = await startPushReceiver(respond, delayMs === undefined ? {} : { delayMs });
    receivers.push(r);
    return r;
  }

  it('serves a client configured only through PUBSUB_EMULATOR_HOST', async () => {
    const saved = process.env.PUBSUB_EMULATOR_HOST;
    process.env.PUBSUB_EMULATOR_HOST = standIn.address;
    const viaEnv = new PubSub({ projectId: PROJECT });
    try {
      const id = unique('env');
      await viaEnv.createTopic(id);
      const messageId = await viaEnv.topic(id).publishMessage({ json: { via: 'env' } });
      expect(JSON.parse(standIn.published(topicName(id))[0]?.data.toString() ?? '{}')).toEqual({
        via: 'env',
      });
      expect(standIn.published(topicName(id))[0]?.messageId).toBe(messageId);
    } finally {
      if (saved === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
      else process.env.PUBSUB_EMULATOR_HOST = saved;
      await viaEnv.close();
    }
  });

  it('dead-letters a push message after maxDeliveryAttempts, with the source attributes', async () => {
    const push = await receiver(() => 500);
    const [topic] = await pubsub.createTopic(unique('work'));
    const [dlq] = await pubsub.createTopic(unique('dead'));
    const subId = unique('push');
    await topic.createSubscription(subId, {
      pushConfig: { pushEndpoint: `${push.url}/push` },
      deadLetterPolicy: { deadLetterTopic: dlq.name, maxDeliveryAttempts: 5 },
      // 10 s .. 600 s, clamped by the stand-in's push options to 150 ms.
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 600 } },
    });
    const id = await topic.publishMessage({ data: Buffer.from('poison'), attributes: { kind: 'bad' } });
    const original = standIn.published(topic.name).find((m) => m.messageId === id);

    const dead = await standIn.waitFor(dlq.name, () => true, 10_000);
    expect(dead.data.toString()).toBe('poison');
    expect(dead.attributes).toEqual({
      kind: 'bad',
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
      CloudPubSubDeadLetterSourceSubscription: subId,
      CloudPubSubDeadLetterSourceSubscriptionProject: PROJECT,
      CloudPubSubDeadLetterSourceTopicPublishTime: original?.publishTime.toISOString(),
    });
    const attempts = push.requests.map((r) => (r.body as { deliveryAttempt?: number }).deliveryAttempt);
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    // Backoff was applied (clamped to 150 ms) between attempts.
    const gaps = push.requests.slice(1).map((r, i) => r.receivedAt - (push.requests[i]?.receivedAt ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(120);
    await sleep(400);
    expect(push.requests).toHaveLength(5);
  });

  it('dead-letters a pulled message that was nacked maxDeliveryAttempts times, counting attempts', async () => {
    const [topic] = await pubsub.createTopic(unique('work'));
    const [dlq] = await pubsub.createTopic(unique('dead'));
    const subId = unique('pull');
    await topic.createSubscription(subId, {
      deadLetterPolicy: { deadLetterTopic: dlq.name, maxDeliveryAttempts: 5 },
    });
    await topic.publishMessage({ data: Buffer.from('nack me') });

    const seen: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const [response] = await subscriber.pull({ subscription: subName(subId), maxMessages: 1 });
      const [received] = response.receivedMessages ?? [];
      seen.push(received?.deliveryAttempt ?? -1);
      await subscriber.modifyAckDeadline({
        subscription: subName(subId),
        ackIds: [received?.ackId ?? ''],
        ackDeadlineSeconds: 0,
      });
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const dead = await standIn.waitFor(dlq.name, (m) => m.data.toString() === 'nack me', 20_000);
    expect(dead.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe('5');
    const [after] = await subscriber.pull({
      subscription: subName(subId),
      maxMessages: 1,
      returnImmediately: true,
    });
    expect(after.receivedMessages ?? []).toEqual([]);
  });

  it('enforces the real ranges for delivery attempts, ack deadlines, pulls and empty messages', async () => {
    const [topic] = await pubsub.createTopic(unique('ranges'));
    const [dlq] = await pubsub.createTopic(unique('dead'));
    for (const maxDeliveryAttempts of [4, 101]) {
      await expect(
        topic.createSubscription(unique('sub'), {
          deadLetterPolicy: { deadLetterTopic: dlq.name, maxDeliveryAttempts },
        }),
      ).rejects.toSatisfy((e) => grpcCode(e) === grpc.status.INVALID_ARGUMENT);
    }
    await expect(topic.createSubscription(unique('sub'), { ackDeadlineSeconds: 5 })).rejects.toSatisfy(
      (e) => grpcCode(e) === grpc.status.INVALID_ARGUMENT,
    );
    await expect(
      topic.createSubscription(unique('sub'), { pushConfig: { pushEndpoint: 'ftp://127.0.0.1/x' } }),
    ).rejects.toSatisfy((e) => grpcCode(e) === grpc.status.INVALID_ARGUMENT);
    const subId = unique('sub');
    const [sub] = await topic.createSubscription(subId);
    const [metadata] = await sub.getMetadata();
    expect(metadata.ackDeadlineSeconds).toBe(10);
    await expect(subscriber.pull({ subscription: subName(subId), maxMessages: 0 })).rejects.toSatisfy(
      (e) => grpcCode(e) === grpc.status.INVALID_ARGUMENT,
    );
    await expect(topic.publishMessage({ data: Buffer.alloc(0) })).rejects.toSatisfy(
      (e) => grpcCode(e) === grpc.status.INVALID_ARGUMENT,
    );
  });

  it('lists a topic’s subscriptions and keeps them, detached, when the topic is deleted', async () => {
    const topicId = unique('doomed');
    const [topic] = await pubsub.createTopic(topicId);
    const ids = [unique('sub'), unique('sub')];
    for (const id of ids) await topic.createSubscription(id);
    const [subs] = await topic.getSubscriptions();
    expect(subs.map((s) => s.name).sort()).toEqual(ids.map(subName).sort());
    await topic.delete();
    await expect(topic.get()).rejects.toSatisfy((e) => grpcCode(e) === grpc.status.NOT_FOUND);
    const [metadata] = await pubsub.subscription(ids[0] ?? '').getMetadata();
    expect(metadata.topic).toBe('_deleted-topic_');
  });

  it('records what was published, publishes in-process, and waits for matching messages', async () => {
    const topicId = unique('log');
    const [topic] = await pubsub.createTopic(topicId);
    const subId = unique('sub');
    await topic.createSubscription(subId);
    const wireId = await topic.publishMessage({ data: Buffer.from('over the wire'), orderingKey: '' });
    const local = standIn.publish(topic.name, { data: 'in process', attributes: { via: 'publish()' } });
    expect(BigInt(local.messageId) > BigInt(wireId)).toBe(true);

    expect(standIn.published(topicId).map((m) => m.data.toString())).toEqual(['over the wire', 'in process']);
    expect(standIn.published(topic.name)).toHaveLength(2);
    const [response] = await subscriber.pull({ subscription: subName(subId), maxMessages: 10 });
    const pulled = (response.receivedMessages ?? []).map((r) => r.message?.attributes?.via ?? '');
    expect(pulled).toContain('publish()');

    const later = standIn.waitFor(topicId, (m) => m.attributes.n === '2', 20_000);
    setTimeout(() => standIn.publish(topic.name, { data: 'x', attributes: { n: '2' } }), 50);
    expect((await later).attributes.n).toBe('2');
    await expect(standIn.waitFor(topicId, (m) => m.attributes.n === 'never', 100)).rejects.toThrow(
      /within 100 ms/,
    );
    expect(() => standIn.publish(topicName(unique('missing')), { data: 'x' })).toThrow(StreamgateError);
  });

  it('keeps at most `concurrency` pushes in flight', async () => {
    const push = await receiver(() => 204, 100);
    const [topic] = await pubsub.createTopic(unique('busy'));
    await topic.createSubscription(unique('push'), { pushConfig: { pushEndpoint: push.url } });
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => topic.publishMessage({ data: Buffer.from(String(n)) })));
    const requests = await push.waitForCount(6, 10_000);
    expect(
      requests
        .map((r) => Buffer.from((r.body as { message: { data: string } }).message.data, 'base64').toString())
        .sort(),
    ).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(push.maxConcurrent).toBe(2);
  });

  it('respects maxOutstandingMessages on a raw StreamingPull and takes acks on the stream', async () => {
    const [topic] = await pubsub.createTopic(unique('flow'));
    const subId = unique('sub');
    await topic.createSubscription(subId);
    for (let n = 0; n < 5; n += 1) await topic.publishMessage({ data: Buffer.from(String(n)) });

    const Client = grpc.makeGenericClientConstructor(loadPubSubServices().subscriber, 'Subscriber');
    type StreamingPullResponse = { receivedMessages: { ackId: string }[] };
    const client = new Client(
      standIn.address,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      StreamingPull(): grpc.ClientDuplexStream<unknown, StreamingPullResponse>;
    };
    const stream = client.StreamingPull();
    const ackIds: string[] = [];
    stream.on('data', (response: StreamingPullResponse) =>
      ackIds.push(...response.receivedMessages.map((m) => m.ackId)),
    );
    stream.on('error', () => undefined);
    stream.write({ subscription: subName(subId), streamAckDeadlineSeconds: 60, maxOutstandingMessages: 2 });
    // Waits for what must arrive; the windows after it (which a slow machine only widens) show that
    // nothing beyond maxOutstandingMessages does.
    await vi.waitFor(() => expect(ackIds.length).toBeGreaterThanOrEqual(2), { timeout: 20_000 });
    await sleep(300);
    expect(ackIds).toHaveLength(2);
    stream.write({ ackIds: [ackIds[0]] });
    await vi.waitFor(() => expect(ackIds.length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
    await sleep(300);
    expect(ackIds).toHaveLength(3);
    stream.cancel();
    client.close();
  });

  it('close() stops the server, pending pulls and push retries', async () => {
    const push = await receiver(() => 500);
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const own = await startPubSubStandIn({
      push: { minBackoffMs: 50, maxBackoffMs: 50, concurrency: 1, timeoutMs: 1_000 },
      // A pull that close() waited for would hold it a minute, far beyond the bound below.
      pullWaitMs: 60_000,
    });
    const client = new PubSub({ apiEndpoint: own.address, projectId: PROJECT });
    const [topic] = await client.createTopic(unique('closing'));
    await topic.createSubscription(unique('push'), { pushConfig: { pushEndpoint: push.url } });
    const pullId = unique('pull');
    await topic.createSubscription(pullId);
    await topic.publishMessage({ data: Buffer.from('x') });
    await push.waitForCount(2, 20_000);
    // A long-polling Pull on a subscription with nothing left (it would wait 60 s).
    const pullClient = new v1.SubscriberClient({
      apiEndpoint: '127.0.0.1',
      port: own.port,
      sslCreds: grpc.credentials.createInsecure(),
      projectId: PROJECT,
    });
    await pullClient.pull({ subscription: subName(pullId), maxMessages: 1 }); // takes 'x'
    const pending = pullClient.pull({ subscription: subName(pullId), maxMessages: 1 }, { retry: null }).then(
      ([r]) => r.receivedMessages ?? [],
      () => 'rejected' as const,
    );
    await sleep(100);

    const started = Date.now();
    await own.close();
    const pendingResult = await pending;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(pendingResult === 'rejected' || pendingResult.length === 0).toBe(true);
    await pullClient.close();
    await client.close();
    const countAtClose = push.requests.length;
    await sleep(300);
    expect(push.requests.length).toBe(countAtClose);

    const late = new PubSub({ apiEndpoint: own.address, projectId: PROJECT });
    await expect(late.getTopics({ gaxOpts: { timeout: 1_000, retry: null } })).rejects.toBeDefined();
    await late.close();
    // No timers of the stand-in survive close() (queues, push backoff, pull waits).
    await sleep(50);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });
});
