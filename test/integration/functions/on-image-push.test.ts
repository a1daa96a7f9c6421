import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import {
  PROJECT,
  REGISTRY_HOST,
  lastGcrMessage,
  startStack,
  type Stack,
} from '../../helpers/stack-harness.js';

describe('onImagePush through functions-framework', () => {
  let stack: Stack;
  let pusher: Pusher;

  beforeAll(async () => {
    stack = await startStack();
    pusher = new Pusher(stack.standIns.registry.url);
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Pushes an image, waits for the gcr notification and returns it with the digest. */
  async function push(path: string, layers: Awaited<ReturnType<typeof makeLayer>>[], tag?: string) {
    const image = buildImage(layers);
    const digest = await pusher.pushImage(`${PROJECT}/${path}`, image, tag);
    await stack.standIns.pushesSettled();
    return { digest, notice: lastGcrMessage(stack.standIns) };
  }

  const jobsFor = (digest: string) =>
    stack.standIns.batch
      .jobs()
      .filter((job) => job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.imageUri?.endsWith(digest));

  it('launches one streaming job in the image region, pinned to the digest, and publishes job.launched', async () => {
    const { digest, notice } = await push(
      'apps/eligible',
      [await makeLayer({ 'hello.txt': 'eligible' })],
      'v1',
    );
    const res = await stack.deliver(
      'onImagePush',
      { data: notice.data, messageId: notice.messageId },
      'push',
    );
    expect(res.status).toBe(204);

    const jobs = jobsFor(digest);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.name).toMatch(/^projects\/[^/]+\/locations\/us-central1\/jobs\/sg-push-/);
    const container = job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container;
    expect(container?.enableImageStreaming).toBe(true);
    expect(container?.imageUri).toBe(`${REGISTRY_HOST}/${PROJECT}/apps/eligible@${digest}`);
    expect(job.allocationPolicy?.location?.allowedLocations).toEqual(['regions/us-central1']);

    const launched = stack.events(EVENT_TYPES.launched).filter((e) => e.data.image.digest === digest);
    expect(launched).toHaveLength(1);
    expect(launched[0]!.data).toMatchObject({
      region: 'us-central1',
      source: 'push',
      created: true,
      rule: 'apps',
      correlationId: notice.messageId,
      streaming: { enabled: true, verdict: 'eligible' },
    });
  });

  it('runs an ineligible image without streaming in auto mode and says why', async () => {
    const layer = await makeLayer({ 'dup.txt': 'twice' });
    const { digest, notice } = await push('apps/duplicated', [layer, layer], 'v1');
    const res = await stack.deliver(
      'onImagePush',
      { data: notice.data, messageId: notice.messageId },
      'binary',
    );
    expect(res.status).toBe(204);

    const jobs = jobsFor(digest);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.enableImageStreaming ?? false).toBe(
      false,
    );
    const [event] = stack.events(EVENT_TYPES.launched).filter((e) => e.data.image.digest === digest);
    expect(event?.data.streaming.enabled).toBe(false);
    expect(event?.data.streaming.reasons.map((r) => r.code)).toContain('DUPLICATE_LAYER');
  });

  it('rejects an ineligible image in require mode: request.rejected and no job', async () => {
    const layer = await makeLayer({ 'dup.txt': 'strict' });
    const { digest, notice } = await push('strict/duplicated', [layer, layer], 'v1');
    const before = stack.standIns.batch.createCalls();
    const res = await stack.deliver('onImagePush', { data: notice.data, messageId: notice.messageId });
    expect(res.status).toBe(204);

    expect(jobsFor(digest)).toHaveLength(0);
    expect(stack.standIns.batch.createCalls()).toBe(before);
    const rejected = stack
      .events(EVENT_TYPES.rejected)
      .filter((e) => e.data.correlationId === notice.messageId);
    expect(rejected).toHaveLength(1);
    const codes = rejected[0]!.data.reasons.map((r) => r.code);
    expect(codes).toContain('INELIGIBLE_IMAGE');
    expect(codes).toContain('DUPLICATE_LAYER');
  });

  it('makes one job from the same message delivered five times', async () => {
    const { digest, notice } = await push('apps/redelivered', [await makeLayer({ 'r.txt': 'again' })], 'v2');
    for (let i = 0; i < 5; i++) {
      const res = await stack.deliver(
        'onImagePush',
        { data: notice.data, messageId: notice.messageId },
        'push',
      );
      expect(res.status).toBe(204);
    }
    expect(jobsFor(digest)).toHaveLength(1);
    const launched = stack.events(EVENT_TYPES.launched).filter((e) => e.data.image.digest === digest);
    expect(launched).toHaveLength(5);
    expect(new Set(launched.map((e) => e.id)).size).toBe(1);
    expect(launched.filter((e) => e.data.created)).toHaveLength(1);
  });

  it('makes one job from a tag-only message followed by a digest message for the same image', async () => {
    const { digest } = await push('apps/tagged', [await makeLayer({ 't.txt': 'tag first' })], 'v3');
    const base = `${REGISTRY_HOST}/${PROJECT}/apps/tagged`;
    const tagOnly = JSON.stringify({ action: 'INSERT', tag: `${base}:v3` });
    const withDigest = JSON.stringify({ action: 'INSERT', digest: `${base}@${digest}` });
    expect((await stack.deliver('onImagePush', { data: tagOnly, messageId: 'tag-only-1' })).status).toBe(204);
    expect((await stack.deliver('onImagePush', { data: withDigest, messageId: 'digest-1' })).status).toBe(
      204,
    );
    const jobs = jobsFor(digest);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.imageUri).toBe(`${base}@${digest}`);
  });

  it('acknowledges a DELETE and images no rule matches without launching anything', async () => {
    const before = stack.standIns.batch.createCalls();
    const deleted = JSON.stringify({ action: 'DELETE', tag: `${REGISTRY_HOST}/${PROJECT}/apps/x:1` });
    const unmatched = JSON.stringify({
      action: 'INSERT',
      digest: `${REGISTRY_HOST}/${PROJECT}/other/x@sha256:${'a'.repeat(64)}`,
    });
    expect((await stack.deliver('onImagePush', { data: deleted, messageId: 'del-1' })).status).toBe(204);
    expect((await stack.deliver('onImagePush', { data: unmatched, messageId: 'unmatched-1' })).status).toBe(
      204,
    );
    expect(stack.standIns.batch.createCalls()).toBe(before);
  });

  it('throws (500) while Batch is unavailable, then makes exactly one job on redelivery', async () => {
    const { digest, notice } = await push('apps/flaky', [await makeLayer({ 'f.txt': 'flaky' })], 'v1');
    stack.standIns.batch.failNext('createJob', 'UNAVAILABLE', 3);
    const message = { data: notice.data, messageId: notice.messageId };
    expect((await stack.deliver('onImagePush', message, 'push')).status).toBe(500);
    expect(jobsFor(digest)).toHaveLength(0);
    expect((await stack.deliver('onImagePush', message, 'push')).status).toBe(204);
    expect(jobsFor(digest)).toHaveLength(1);
  });
});
