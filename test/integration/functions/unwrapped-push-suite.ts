/**
 * Unwrapped push (`pushConfig.noWrapper`) end to end: a Pub/Sub server (the stand-in, or Google's
 * emulator) holds noWrapper subscriptions that push to the functions, as a deployment with
 * `push_unwrapped` does, and the functions act on what it sends. A relay between them records
 * each answer. Each server runs in its own test file, so its message ids (which both number from
 * 1) never meet in one stack.
 */
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import { startPushRelay, type PushRelay } from '../../helpers/push-relay.js';
import {
  PROJECT,
  REGISTRY_HOST,
  TOPICS,
  lastGcrMessage,
  startStack,
  type Stack,
} from '../../helpers/stack-harness.js';

const NOTIFICATIONS = `projects/${PROJECT}/topics/${TOPICS.notifications}`;
const IMAGE = `${REGISTRY_HOST}/${PROJECT}/apps/unwrapped:v1`;
/** Headers every push also carries through the relay; none of them is ever an attribute. */
const ORDINARY_HEADERS = {
  authorization: 'Bearer not-an-attribute',
  'x-forwarded-for': '10.0.0.1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

/**
 * Registers the suite. `pubsubAddress` is read in `beforeAll`, after the caller's own `beforeAll`
 * started the server.
 */
export function unwrappedPushSuite(name: string, pubsubAddress: () => string): void {
  describe(name, () => {
    let stack: Stack;
    let relay: PushRelay;
    let client: PubSub;
    /** Batch attribute headers the relay adds to pushes on `spoof-` topics. */
    const spoofed = new Map<string, Record<string, string>>();
    const logs: string[] = [];

    beforeAll(async () => {
      // The refusal of a push without metadata is a WARNING: keep those, and keep them off the console.
      process.env.STREAMGATE_LOG_LEVEL = 'WARNING';
      const write = process.stdout.write.bind(process.stdout);
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
        const text = String(chunk);
        if (!text.startsWith('{"severity"')) return write(chunk, ...(rest as []));
        logs.push(text);
        return true;
      });
      stack = await startStack();
      await new Pusher(stack.standIns.registry.url).pushImage(
        `${PROJECT}/apps/unwrapped`,
        buildImage([await makeLayer({ 'run.txt': 'unwrapped' })]),
        'v1',
      );
      relay = await startPushRelay(stack.urls, (_fn, path) => ({
        ...ORDINARY_HEADERS,
        ...(spoofed.get(path.split('/').at(-1) ?? '') ?? {}),
      }));
      client = new PubSub({ apiEndpoint: pubsubAddress(), projectId: PROJECT });
    }, 60_000);
    afterAll(async () => {
      await client?.close();
      await relay?.close();
      await stack?.close();
      vi.restoreAllMocks();
    });

    /** A topic whose noWrapper subscription pushes to `fn` through the relay. */
    async function unwrappedTopic(fn: string, topicId: string, writeMetadata: boolean): Promise<Topic> {
      const [topic] = await client.createTopic(topicId);
      await topic.createSubscription(`${topicId}-push`, {
        pushConfig: {
          pushEndpoint: `${relay.url}/${fn}/projects/${PROJECT}/topics/${topicId}`,
          noWrapper: { writeMetadata },
        },
        ackDeadlineSeconds: 30,
      });
      return topic;
    }

    /** The function's answer to the first push on the topic, which really was unwrapped. */
    async function answered(topicId: string, writeMetadata = true): Promise<number> {
      const push = await relay.waitFor((p) => p.path.endsWith(`/topics/${topicId}`), 30_000);
      const metadata = Object.keys(push.headers).filter((h) => h.startsWith('x-goog-pubsub-'));
      expect(metadata.length > 0).toBe(writeMetadata);
      if (writeMetadata) expect(push.headers['x-goog-pubsub-message-id']).toMatch(/^\d+$/);
      return push.status;
    }
    const pushesTo = (topicId: string) => relay.pushes.filter((p) => p.path.endsWith(`/topics/${topicId}`));

    /** Launches a job through onJobRequest and returns it with Batch's SUCCEEDED notification. */
    async function finishedJob(key: string) {
      const request = JSON.stringify({ apiVersion: 'streamgate/v1', image: IMAGE, correlationId: key });
      expect((await stack.deliver('onJobRequest', { data: request, messageId: key })).status).toBe(204);
      const launched = stack.events(EVENT_TYPES.launched).find((e) => e.data.idempotencyKey === key);
      expect(launched).toBeDefined();
      const note = await stack.standIns.pubsub.waitFor(
        NOTIFICATIONS,
        (m) =>
          m.attributes.NewJobState === 'SUCCEEDED' &&
          m.attributes.JobName?.endsWith(`/jobs/${launched!.data.jobId}`) === true,
        10_000,
      );
      return { jobName: launched!.data.jobName, note };
    }
    const completions = (jobName: string) =>
      stack.events(EVENT_TYPES.completed).filter((e) => e.data.jobName === jobName);

    it('a gcr notification pushed with writeMetadata launches the job', async () => {
      await stack.standIns.pushesSettled();
      const notice = lastGcrMessage(stack.standIns);
      const digest = (JSON.parse(notice.data.toString('utf8')) as { digest: string }).digest.split('@')[1];
      const topic = await unwrappedTopic('onImagePush', 'gcr-meta', true);
      await topic.publishMessage({ data: notice.data });

      expect(await answered('gcr-meta')).toBe(204);
      const launched = stack.events(EVENT_TYPES.launched).filter((e) => e.data.image.digest === digest);
      expect(launched).toHaveLength(1);
      expect(launched[0]?.data.source).toBe('push');
    });

    it('a Batch notification pushed with writeMetadata produces the completion', async () => {
      const { jobName, note } = await finishedJob('unwrapped-complete');
      const topic = await unwrappedTopic('onJobStateChanged', 'notes-meta', true);
      await topic.publishMessage({ data: note.data, attributes: note.attributes });

      expect(await answered('notes-meta')).toBe(204);
      const events = completions(jobName);
      expect(events).toHaveLength(1);
      expect(events[0]?.data).toMatchObject({ state: 'SUCCEEDED', correlationId: 'unwrapped-complete' });
    });

    it('a JobRequest pushed with writeMetadata launches, keyed on the message id from the headers', async () => {
      const topic = await unwrappedTopic('onJobRequest', 'requests-meta', true);
      const request = { apiVersion: 'streamgate/v1', image: IMAGE, correlationId: 'unwrapped-request' };
      const id = await topic.publishMessage({ data: Buffer.from(JSON.stringify(request)) });

      expect(await answered('requests-meta')).toBe(204);
      const launched = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === id);
      expect(launched).toHaveLength(1);
      expect(launched[0]?.data.correlationId).toBe('unwrapped-request');
    });

    it('a Batch notification pushed without metadata is refused clearly: acked once, logged, no event', async () => {
      const { jobName, note } = await finishedJob('unwrapped-bare');
      // Headers named like the attributes, on a push without metadata: still not attributes.
      spoofed.set('spoof-notes-bare', note.attributes);
      const topic = await unwrappedTopic('onJobStateChanged', 'spoof-notes-bare', false);
      await topic.publishMessage({ data: note.data, attributes: note.attributes });

      expect(await answered('spoof-notes-bare', false)).toBe(204);
      expect(completions(jobName)).toEqual([]);
      const refusal = logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.function === 'onJobStateChanged' && entry.reason === 'INVALID_ENVELOPE');
      expect(refusal?.detail).toMatch(/without write_metadata.*JobName/);
      // Acknowledged, so never redelivered.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(pushesTo('spoof-notes-bare')).toHaveLength(1);
    });

    it('without metadata, a gcr notification still launches and a JobRequest must name its own key', async () => {
      const digest = await new Pusher(stack.standIns.registry.url).pushImage(
        `${PROJECT}/apps/unwrapped-bare`,
        buildImage([await makeLayer({ 'run.txt': 'bare' })]),
        'v1',
      );
      await stack.standIns.pushesSettled();
      const gcr = await unwrappedTopic('onImagePush', 'gcr-bare', false);
      await gcr.publishMessage({ data: lastGcrMessage(stack.standIns).data });
      expect(await answered('gcr-bare', false)).toBe(204);
      expect(stack.events(EVENT_TYPES.launched).filter((e) => e.data.image.digest === digest)).toHaveLength(
        1,
      );

      const requests = await unwrappedTopic('onJobRequest', 'requests-bare', false);
      const unkeyed = { apiVersion: 'streamgate/v1', image: IMAGE, correlationId: 'bare-unkeyed' };
      const keyed = { ...unkeyed, correlationId: 'bare-keyed', idempotencyKey: 'bare-keyed-1' };
      await requests.publishMessage({ data: Buffer.from(JSON.stringify(unkeyed)) });
      await requests.publishMessage({ data: Buffer.from(JSON.stringify(keyed)) });
      await relay.waitFor(() => pushesTo('requests-bare').length === 2, 30_000);
      expect(pushesTo('requests-bare').map((p) => p.status)).toEqual([204, 204]);
      const launched = stack
        .events(EVENT_TYPES.launched)
        .filter((e) => e.data.idempotencyKey === 'bare-keyed-1');
      expect(launched).toHaveLength(1);
      const refused = stack
        .events(EVENT_TYPES.rejected)
        .filter((e) => e.data.reasons.some((r) => /without write_metadata/.test(r.message)));
      expect(refused.map((e) => e.data.reasons[0]?.code)).toEqual(['INVALID_REQUEST']);
    });
  });
}
