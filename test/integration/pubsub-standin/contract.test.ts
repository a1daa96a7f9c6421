/**
 * One contract, two servers: the same checks run against the stand-in (always) and against
 * Google's own Pub/Sub emulator (when installed). Everything goes through the real
 * `@google-cloud/pubsub` client, so a pass means the stand-in answers like the emulator does.
 * Dead-lettering differs on the emulator; it is tested against the stand-in only (standin.test.ts).
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { PubSub, v1, type Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPubSubStandIn, type PubSubStandIn } from '../../../infra/local/pubsub/server.js';
import {
  findPubSubEmulator,
  startPubSubEmulator,
  type RunningEmulator,
} from '../../helpers/pubsub-emulator.js';
import { startPushReceiver, type PushReceiver } from './push-receiver.js';

export interface ContractTarget {
  /** `127.0.0.1:PORT` */
  address: string;
  projectId: string;
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function subscriberClient(target: ContractTarget): v1.SubscriberClient {
  const [host, port] = target.address.split(':');
  return new v1.SubscriberClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    projectId: target.projectId,
  });
}

/** Pulls until `count` messages arrived or `timeoutMs` passed (bounded in both). */
async function pullAtLeast(
  client: v1.SubscriberClient,
  subscription: string,
  count: number,
  timeoutMs = 10_000,
): Promise<{ ackId: string; messageId: string; data: string; deliveryAttempt: number }[]> {
  const got: { ackId: string; messageId: string; data: string; deliveryAttempt: number }[] = [];
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100 && got.length < count && Date.now() < deadline; i += 1) {
    const [response] = await client.pull(
      { subscription, maxMessages: count - got.length, returnImmediately: false },
      { timeout: Math.max(deadline - Date.now(), 1) },
    );
    for (const r of response.receivedMessages ?? []) {
      got.push({
        ackId: r.ackId ?? '',
        messageId: r.message?.messageId ?? '',
        data: Buffer.from(r.message?.data ?? '').toString(),
        deliveryAttempt: r.deliveryAttempt ?? 0,
      });
    }
  }
  return got;
}

/** One immediate pull; what is ready right now. */
async function pullNow(client: v1.SubscriberClient, subscription: string): Promise<string[]> {
  const [response] = await client.pull({ subscription, maxMessages: 10, returnImmediately: true });
  return (response.receivedMessages ?? []).map((r) => r.message?.messageId ?? '');
}

const grpcCode = (error: unknown) => (error as { code?: number }).code;

/**
 * Registers the Pub/Sub contract for one server. `getTarget` is called in `beforeAll`, after the
 * caller's own `beforeAll` has started the server.
 */
export function runPubSubContract(name: string, getTarget: () => ContractTarget): void {
  describe(name, () => {
    let target: ContractTarget;
    let pubsub: PubSub;
    let subscriber: v1.SubscriberClient;
    const receivers: PushReceiver[] = [];

    beforeAll(() => {
      target = getTarget();
      pubsub = new PubSub({ apiEndpoint: target.address, projectId: target.projectId });
      subscriber = subscriberClient(target);
    });

    afterAll(async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await subscriber?.close();
      await pubsub?.close();
    });

    const fullSub = (id: string) => `projects/${target.projectId}/subscriptions/${id}`;

    it('creates and lists topics; a repeated create is ALREADY_EXISTS; publishing to a missing topic is NOT_FOUND', async () => {
      const id = unique('topic');
      const [topic] = await pubsub.createTopic(id);
      expect(topic.name).toBe(`projects/${target.projectId}/topics/${id}`);
      await expect(pubsub.createTopic(id)).rejects.toSatisfy(
        (e) => grpcCode(e) === grpc.status.ALREADY_EXISTS,
      );
      const [topics] = await pubsub.getTopics();
      expect(topics.map((t) => t.name)).toContain(topic.name);
      await expect(
        pubsub.topic(unique('missing')).publishMessage({ data: Buffer.from('x') }),
      ).rejects.toSatisfy((e) => grpcCode(e) === grpc.status.NOT_FOUND);
    });

    it('rejects subscription ids shorter than three characters and subscriptions to missing topics', async () => {
      const [topic] = await pubsub.createTopic(unique('topic'));
      await expect(topic.createSubscription('s1')).rejects.toSatisfy(
        (e) => grpcCode(e) === grpc.status.INVALID_ARGUMENT,
      );
      await expect(pubsub.topic(unique('missing')).createSubscription(unique('sub'))).rejects.toSatisfy(
        (e) => grpcCode(e) === grpc.status.NOT_FOUND,
      );
    });

    it('publishes, pulls and acks; acked messages are not redelivered; ids increase', async () => {
      const [topic] = await pubsub.createTopic(unique('topic'));
      const subId = unique('sub');
      await topic.createSubscription(subId);
      const first = await topic.publishMessage({ data: Buffer.from('one'), attributes: { k: 'v' } });
      const second = await topic.publishMessage({ data: Buffer.from('two') });
      expect(BigInt(second) > BigInt(first)).toBe(true);

      const got = await pullAtLeast(subscriber, fullSub(subId), 2);
      expect(got.map((m) => m.data).sort()).toEqual(['one', 'two']);
      expect(got.map((m) => m.messageId).sort()).toEqual([first, second].sort());
      await subscriber.acknowledge({ subscription: fullSub(subId), ackIds: got.map((m) => m.ackId) });
      expect(await pullNow(subscriber, fullSub(subId))).toEqual([]);
    });

    it('does not deliver messages published before the subscription existed', async () => {
      const [topic] = await pubsub.createTopic(unique('topic'));
      const before = await topic.publishMessage({ data: Buffer.from('early') });
      const subId = unique('sub');
      await topic.createSubscription(subId);
      const after = await topic.publishMessage({ data: Buffer.from('late') });
      const got = await pullAtLeast(subscriber, fullSub(subId), 1);
      expect(got.map((m) => m.messageId)).toEqual([after]);
      await subscriber.acknowledge({ subscription: fullSub(subId), ackIds: got.map((m) => m.ackId) });
      expect(await pullNow(subscriber, fullSub(subId))).not.toContain(before);
    });

    it('redelivers a nacked message at once and an unacked one after its ack deadline', async () => {
      const [topic] = await pubsub.createTopic(unique('topic'));
      const subId = unique('sub');
      await topic.createSubscription(subId);
      const id = await topic.publishMessage({ data: Buffer.from('again') });

      const [firstPull] = await pullAtLeast(subscriber, fullSub(subId), 1);
      expect(firstPull?.messageId).toBe(id);
      await subscriber.modifyAckDeadline({
        subscription: fullSub(subId),
        ackIds: [firstPull?.ackId ?? ''],
        ackDeadlineSeconds: 0,
      });
      const [secondPull] = await pullAtLeast(subscriber, fullSub(subId), 1);
      expect(secondPull?.messageId).toBe(id);

      // Shorten the lease to 1 s and let it lapse without acking.
      await subscriber.modifyAckDeadline({
        subscription: fullSub(subId),
        ackIds: [secondPull?.ackId ?? ''],
        ackDeadlineSeconds: 1,
      });
      expect(await pullNow(subscriber, fullSub(subId))).toEqual([]);
      const [thirdPull] = await pullAtLeast(subscriber, fullSub(subId), 1, 10_000);
      expect(thirdPull?.messageId).toBe(id);
      await subscriber.acknowledge({ subscription: fullSub(subId), ackIds: [thirdPull?.ackId ?? ''] });
    });

    it('delivers through StreamingPull to subscription.on("message") and honours its acks', async () => {
      const [topic] = await pubsub.createTopic(unique('topic'));
      const subId = unique('sub');
      const [subscription] = await topic.createSubscription(subId);
      const sent = await Promise.all(
        ['a', 'b', 'c'].map((d) => topic.publishMessage({ data: Buffer.from(d) })),
      );

      const received: Message[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${received.length} of 3 messages arrived`)),
          15_000,
        );
        subscription.on('error', reject);
        subscription.on('message', (message: Message) => {
          received.push(message);
          message.ack();
          if (received.length === 3) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await subscription.close();
      expect(received.map((m) => m.id).sort()).toEqual([...sent].sort());
      expect(received.map((m) => m.data.toString()).sort()).toEqual(['a', 'b', 'c']);
      // The acks went through: nothing is left to pull.
      expect(await pullNow(subscriber, fullSub(subId))).toEqual([]);
    });

    it('pushes the real push body to the endpoint', async () => {
      const receiver = await startPushReceiver(() => 204);
      receivers.push(receiver);
      const topicId = unique('topic');
      const [topic] = await pubsub.createTopic(topicId);
      const subId = unique('push');
      const endpoint = `${receiver.url}/projects/${target.projectId}/topics/${topicId}`;
      await topic.createSubscription(subId, { pushConfig: { pushEndpoint: endpoint } });
      const id = await topic.publishMessage({
        data: Buffer.from('{"hello":1}'),
        attributes: { color: 'blue' },
      });

      const [request] = await receiver.waitForCount(1, 15_000);
      expect(request?.path).toBe(`/projects/${target.projectId}/topics/${topicId}`);
      expect(request?.headers['content-type']).toMatch(/^application\/json/);
      const body = request?.body as {
        subscription: string;
        deliveryAttempt?: number;
        message: Record<string, unknown>;
      };
      expect(body.subscription).toBe(fullSub(subId));
      expect(body.deliveryAttempt).toBeUndefined();
      expect(Buffer.from(String(body.message.data), 'base64').toString()).toBe('{"hello":1}');
      expect(body.message.attributes).toEqual({ color: 'blue' });
      expect(body.message.messageId).toBe(id);
      expect(body.message.message_id).toBe(id);
      expect(Number.isNaN(Date.parse(String(body.message.publishTime)))).toBe(false);
      expect(body.message.publish_time).toBe(body.message.publishTime);
    });

    it('pushes unwrapped with writeMetadata: the data is the body, metadata and attributes are headers', async () => {
      const receiver = await startPushReceiver(() => 204);
      receivers.push(receiver);
      const [topic] = await pubsub.createTopic(unique('topic'));
      const subId = unique('push');
      await topic.createSubscription(subId, {
        pushConfig: { pushEndpoint: `${receiver.url}/unwrapped`, noWrapper: { writeMetadata: true } },
      });
      const [metadata] = await pubsub.subscription(subId).getMetadata();
      expect(metadata.pushConfig?.noWrapper?.writeMetadata).toBe(true);
      const data = 'Job state was updated: jobName=j1';
      const id = await topic.publishMessage({
        data: Buffer.from(data),
        attributes: { JobName: 'projects/p/locations/r/jobs/j1', NewJobState: 'SUCCEEDED' },
      });

      const [request] = await receiver.waitForCount(1, 15_000);
      expect(request?.path).toBe('/unwrapped');
      expect(request?.raw.toString('utf8')).toBe(data);
      expect(request?.headers['x-goog-pubsub-message-id']).toBe(id);
      expect(request?.headers['x-goog-pubsub-subscription-name']).toBe(fullSub(subId));
      expect(Number.isNaN(Date.parse(String(request?.headers['x-goog-pubsub-publish-time'])))).toBe(false);
      // Header names are case-insensitive: Node hands the attributes over in lower case.
      expect(request?.headers.jobname).toBe('projects/p/locations/r/jobs/j1');
      expect(request?.headers.newjobstate).toBe('SUCCEEDED');
    });

    it('pushes unwrapped without writeMetadata: the data alone, no metadata and no attribute headers', async () => {
      const receiver = await startPushReceiver(() => 204);
      receivers.push(receiver);
      const [topic] = await pubsub.createTopic(unique('topic'));
      const subId = unique('push');
      await topic.createSubscription(subId, {
        pushConfig: { pushEndpoint: `${receiver.url}/bare`, noWrapper: { writeMetadata: false } },
      });
      const data = '{"action":"INSERT","digest":"x"}';
      await topic.publishMessage({ data: Buffer.from(data), attributes: { JobName: 'j' } });

      const [request] = await receiver.waitForCount(1, 15_000);
      expect(request?.raw.toString('utf8')).toBe(data);
      expect(Object.keys(request?.headers ?? {}).filter((h) => h.startsWith('x-goog-'))).toEqual([]);
      expect(request?.headers.jobname).toBeUndefined();
    });

    it('retries a push that got a 500 and stops once it gets a 2xx', async () => {
      const receiver = await startPushReceiver((n) => (n === 1 ? 500 : 204));
      receivers.push(receiver);
      const [topic] = await pubsub.createTopic(unique('topic'));
      await topic.createSubscription(unique('push'), {
        pushConfig: { pushEndpoint: `${receiver.url}/push` },
        ackDeadlineSeconds: 10,
      });
      const id = await topic.publishMessage({ data: Buffer.from('retry me') });

      const requests = await receiver.waitForCount(2, 25_000);
      const ids = requests.map((r) => (r.body as { message: { messageId: string } }).message.messageId);
      expect(ids.slice(0, 2)).toEqual([id, id]);
      // Acked by the 204: no third delivery.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(receiver.requests).toHaveLength(2);
    });
  });
}

describe('Pub/Sub contract', () => {
  describe('stand-in', () => {
    let standIn: PubSubStandIn;
    beforeAll(async () => {
      standIn = await startPubSubStandIn({
        push: { minBackoffMs: 20, maxBackoffMs: 200, concurrency: 4, timeoutMs: 2_000 },
        pullWaitMs: 1_000,
      });
    });
    afterAll(async () => {
      await standIn?.close();
    });
    runPubSubContract('the in-process stand-in', () => ({
      address: standIn.address,
      projectId: 'demo-project',
    }));
  });

  const emulator = findPubSubEmulator();
  if (!emulator) {
    console.warn(
      [
        '',
        '======================================================================',
        ' Pub/Sub contract: Google emulator tier SKIPPED (not installed).',
        ' Install google-cloud-cli-pubsub-emulator (and Java) to run it.',
        '======================================================================',
        '',
      ].join('\n'),
    );
  }
  describe.skipIf(!emulator)(
    'Google emulator (SKIPPED: Google Pub/Sub emulator not installed — install google-cloud-cli-pubsub-emulator to run this tier)',
    () => {
      let running: RunningEmulator | undefined;
      beforeAll(async () => {
        if (emulator) running = await startPubSubEmulator(emulator, 60_000);
      }, 90_000);
      afterAll(async () => {
        await running?.close();
      }, 20_000);
      runPubSubContract(`Google's Pub/Sub emulator (${emulator?.description ?? 'not installed'})`, () => ({
        address: running?.address ?? '',
        projectId: 'demo-project',
      }));
    },
  );
});
