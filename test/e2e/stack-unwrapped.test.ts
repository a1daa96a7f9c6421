/**
 * The local stack with `--push-unwrapped`: the Pub/Sub stand-in pushes the data itself, metadata
 * and attributes as headers, to the functions in their own functions-framework processes, as a
 * deployment with `push_unwrapped = true` does. A push still launches and completes its job.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamgateEvent } from '../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { buildDemoImages, pushDemoImages, type PushedDemoImage } from '../../infra/local/demo-images.js';
import { tailEvents, type EventTail } from '../../infra/local/event-tail.js';
import { FREE_PORTS } from '../../infra/local/ports.js';
import { pushSubscriptionOf } from '../../infra/local/stack-wiring.js';
import { FAST_TIMINGS, startStack, type RunningStack } from '../../infra/local/stack.js';

type Launched = StreamgateEvent<typeof EVENT_TYPES.launched>;
type Completed = StreamgateEvent<typeof EVENT_TYPES.completed>;

// Generous on purpose: a busy 2-core machine can take many times an idle one's few seconds. Each
// test waits for up to two events, so the file's test timeout covers two waits.
const WAIT_MS = 60_000;
vi.setConfig({ testTimeout: 150_000 });
let stateDir: string;
let stack: RunningStack;
let tail: EventTail;
let pushed: PushedDemoImage[];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'streamgate-e2e-unwrapped-'));
  stack = await startStack({
    ports: FREE_PORTS,
    stateDir,
    batchTimings: FAST_TIMINGS,
    logLevel: 'WARNING',
    pushUnwrapped: true,
  });
  tail = await tailEvents({
    pubsubAddress: stack.endpoints.pubsub,
    project: stack.endpoints.project,
    topic: stack.endpoints.topics.events,
  });
  pushed = await pushDemoImages(
    stack.endpoints.registry,
    stack.endpoints.registryHost,
    await buildDemoImages(randomUUID().slice(0, 8)),
  );
}, 90_000);

afterAll(async () => {
  await tail?.close();
  await stack?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}, 30_000);

describe('the local stack pushing unwrapped', () => {
  it('wires every push subscription with noWrapper and writeMetadata', async () => {
    const pubsub = new PubSub({ apiEndpoint: stack.endpoints.pubsub, projectId: stack.endpoints.project });
    try {
      for (const key of ['image-push', 'job-request', 'job-state']) {
        const [metadata] = await pubsub.subscription(pushSubscriptionOf(key)).getMetadata();
        expect(metadata.pushConfig?.noWrapper?.writeMetadata, key).toBe(true);
      }
    } finally {
      await pubsub.close();
    }
  });

  it('launches the pushed image and reports Batch’s completion through unwrapped pushes', async () => {
    const eligible = pushed.find((p) => p.tag === 'eligible')!;
    const launched = (await tail.waitFor(
      (event) =>
        event.type === EVENT_TYPES.launched && (event as Launched).data.image.digest === eligible.digest,
      WAIT_MS,
    )) as Launched;
    expect(launched.data.source).toBe('push');
    const completed = (await tail.waitFor(
      (event) =>
        event.type === EVENT_TYPES.completed && (event as Completed).data.jobName === launched.data.jobName,
      WAIT_MS,
    )) as Completed;
    expect(completed.data.state).toBe('SUCCEEDED');
  });
});
