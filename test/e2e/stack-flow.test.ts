/**
 * End to end through a running local stack: stand-ins in-process, the four functions in their own
 * functions-framework processes, wired over Pub/Sub push like Terraform does it. Everything goes
 * through real protocols: registry pushes, Pub/Sub (real client), the signed webhook.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamgateEvent } from '../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { signatureHeader } from '../../shared/core/webhook-signature.js';
import { buildDemoImages, pushDemoImages, type PushedDemoImage } from '../../infra/local/demo-images.js';
import { tailEvents, type EventTail } from '../../infra/local/event-tail.js';
import { FREE_PORTS } from '../../infra/local/ports.js';
import { FAST_TIMINGS, repositoryRoot, startStack, type RunningStack } from '../../infra/local/stack.js';

type Launched = StreamgateEvent<typeof EVENT_TYPES.launched>;
type Completed = StreamgateEvent<typeof EVENT_TYPES.completed>;

// Generous on purpose: a busy 2-core machine can take many times an idle one's few seconds. Each
// test waits for up to two events, so the file's test timeout covers two waits.
const WAIT_MS = 60_000;
vi.setConfig({ testTimeout: 150_000 });
const SECRET = 'e2e-webhook-secret-0123456789abcdef';
const IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/hello';

let stateDir: string;
let stack: RunningStack;
let tail: EventTail;
let pubsub: PubSub;
let pushed: PushedDemoImage[];

const launchedWhere = (predicate: (data: Launched['data']) => boolean) => (event: StreamgateEvent) =>
  event.type === EVENT_TYPES.launched && predicate((event as Launched).data);
const completedFor = (jobName: string) => (event: StreamgateEvent) =>
  event.type === EVENT_TYPES.completed && (event as Completed).data.jobName === jobName;

async function postJob(body: object, idempotencyKey: string): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(`${stack.endpoints.functions.webhook}/jobs`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
      'x-streamgate-signature': signatureHeader(SECRET, Math.floor(Date.now() / 1000), {
        method: 'POST',
        path: '/jobs',
        body: raw,
      }),
    },
    body: raw,
    signal: AbortSignal.timeout(15_000),
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'streamgate-e2e-'));
  stack = await startStack({
    ports: FREE_PORTS,
    stateDir,
    batchTimings: FAST_TIMINGS,
    webhookSecret: SECRET,
    logLevel: 'WARNING',
  });
  tail = await tailEvents({
    pubsubAddress: stack.endpoints.pubsub,
    project: stack.endpoints.project,
    topic: stack.endpoints.topics.events,
  });
  pubsub = new PubSub({ apiEndpoint: stack.endpoints.pubsub, projectId: stack.endpoints.project });
  pushed = await pushDemoImages(
    stack.endpoints.registry,
    stack.endpoints.registryHost,
    await buildDemoImages(randomUUID().slice(0, 8)),
  );
}, 90_000);

afterAll(async () => {
  await tail?.close();
  await pubsub?.close();
  await stack?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}, 30_000);

describe('the running stack', () => {
  it('writes the endpoints file with exactly the documented keys, and its functions answer', async () => {
    const file = JSON.parse(await readFile(stack.paths.endpoints, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(file).sort()).toEqual(
      [
        'artifactRegistry',
        'batch',
        'dashboard',
        'functions',
        'project',
        'pubsub',
        'registry',
        'registryHost',
        'topics',
        'webhookSecret',
      ].sort(),
    );
    expect(file).toEqual(stack.endpoints);
    expect(Object.keys(stack.endpoints.functions).sort()).toEqual(
      ['onImagePush', 'onJobRequest', 'onJobStateChanged', 'webhook'].sort(),
    );
    expect(stack.endpoints.registryHost).toBe('us-central1-docker.pkg.dev');
    expect(stack.endpoints.project).toBe('demo-project');
    // An unsigned request reaches the webhook process and is refused by it.
    const unsigned = await fetch(`${stack.endpoints.functions.webhook}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    // The page answers on 127.0.0.1 at the URL the file names.
    const page = await fetch(String(stack.endpoints.dashboard));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>streamgate · local stack</title>');
  });
});

describe('push → launch → completion', () => {
  it('streams the eligible image and runs it to SUCCEEDED', async () => {
    const eligible = pushed.find((p) => p.tag === 'eligible')!;
    const launched = (await tail.waitFor(
      launchedWhere((d) => d.image.digest === eligible.digest),
      WAIT_MS,
    )) as Launched;
    expect(launched.data.source).toBe('push');
    expect(launched.data.rule).toBe('apps');
    expect(launched.data.region).toBe('us-central1');
    expect(launched.data.image.uri).toBe(`${IMAGE}@${eligible.digest}`);
    expect(launched.data.streaming.enabled).toBe(true);
    expect(launched.data.streaming.verdict).toBe('eligible');
    const completed = (await tail.waitFor(completedFor(launched.data.jobName), WAIT_MS)) as Completed;
    expect(completed.data.state).toBe('SUCCEEDED');
    expect(completed.data.streaming.enabled).toBe(true);
    expect(completed.data.failedTasks).toEqual([]);
  });

  it('runs the duplicated-layer image without streaming, saying DUPLICATE_LAYER', async () => {
    const dup = pushed.find((p) => p.tag === 'dup')!;
    const launched = (await tail.waitFor(
      launchedWhere((d) => d.image.digest === dup.digest),
      WAIT_MS,
    )) as Launched;
    expect(launched.data.streaming.enabled).toBe(false);
    expect(launched.data.streaming.verdict).toBe('ineligible');
    expect(launched.data.streaming.reasons.map((r) => r.code)).toContain('DUPLICATE_LAYER');
    const completed = (await tail.waitFor(completedFor(launched.data.jobName), WAIT_MS)) as Completed;
    expect(completed.data.state).toBe('SUCCEEDED');
    expect(completed.data.streaming.enabled).toBe(false);
  });

  it('repairs the duplicated-layer image in mode repair and runs the repaired digest with streaming', async () => {
    const original = pushed.find((p) => p.label === 'repairs/hello:dup')!;
    const launched = (await tail.waitFor(
      launchedWhere((d) => d.image.repairedFrom === original.digest),
      WAIT_MS,
    )) as Launched;
    const repaired = launched.data.image.digest!;
    expect(repaired).not.toBe(original.digest);
    expect(launched.data.rule).toBe('repairs');
    expect(launched.data.image.uri).toBe(`us-central1-docker.pkg.dev/demo-project/repairs/hello@${repaired}`);
    expect(launched.data.streaming).toMatchObject({ enabled: true, mode: 'repair', verdict: 'eligible' });
    const completed = (await tail.waitFor(completedFor(launched.data.jobName), WAIT_MS)) as Completed;
    expect(completed.data.state).toBe('SUCCEEDED');
    expect(completed.data.streaming.enabled).toBe(true);
    // The repaired push (by digest and by tag dup-streamable) reached onImagePush and launched nothing.
    const launches = tail.events.filter(
      (e) => e.type === EVENT_TYPES.launched && (e as Launched).data.rule === 'repairs',
    );
    expect(launches).toHaveLength(1);
  });
});

describe('requests', () => {
  it('launches and completes a signed webhook request', async () => {
    const key = `e2e-webhook-${randomUUID()}`;
    const response = await postJob({ apiVersion: 'streamgate/v1', image: `${IMAGE}:eligible` }, key);
    expect(response.status).toBe(202);
    const body = (await response.json()) as { jobName: string; streaming: { enabled: boolean } };
    expect(body.streaming.enabled).toBe(true);
    const launched = (await tail.waitFor(
      launchedWhere((d) => d.idempotencyKey === key),
      WAIT_MS,
    )) as Launched;
    expect(launched.data.source).toBe('webhook');
    expect(launched.data.jobName).toBe(body.jobName);
    const completed = (await tail.waitFor(completedFor(body.jobName), WAIT_MS)) as Completed;
    expect(completed.data.state).toBe('SUCCEEDED');
  });

  it('launches and completes a JobRequest published to the requests topic', async () => {
    const key = `e2e-pubsub-${randomUUID()}`;
    await pubsub.topic(stack.endpoints.topics.requests).publishMessage({
      json: { apiVersion: 'streamgate/v1', image: `${IMAGE}:dup`, idempotencyKey: key },
    });
    const launched = (await tail.waitFor(
      launchedWhere((d) => d.idempotencyKey === key),
      WAIT_MS,
    )) as Launched;
    expect(launched.data.source).toBe('pubsub');
    expect(launched.data.streaming.enabled).toBe(false);
    const completed = (await tail.waitFor(completedFor(launched.data.jobName), WAIT_MS)) as Completed;
    expect(completed.data.state).toBe('SUCCEEDED');
  });
});

describe('completion edge cases', () => {
  it('reports a job whose command exits 3 as FAILED with exit code 3', async () => {
    const key = `e2e-exit3-${randomUUID()}`;
    const response = await postJob(
      {
        apiVersion: 'streamgate/v1',
        image: `${IMAGE}:eligible`,
        container: { entrypoint: '/bin/sh', commands: ['-c', 'exit 3'] },
      },
      key,
    );
    expect(response.status).toBe(202);
    const { jobName } = (await response.json()) as { jobName: string };
    const completed = (await tail.waitFor(completedFor(jobName), WAIT_MS)) as Completed;
    expect(completed.data.state).toBe('FAILED');
    expect(completed.data.failedTasks.length).toBeGreaterThan(0);
    expect(completed.data.failedTasks.map((t) => t.exitCode)).toEqual(
      completed.data.failedTasks.map(() => 3),
    );
  });

  it('gives a duplicated Batch notification the same completion ce-id', async () => {
    const key = `e2e-dup-note-${randomUUID()}`;
    const response = await postJob({ apiVersion: 'streamgate/v1', image: `${IMAGE}:eligible` }, key);
    expect(response.status).toBe(202);
    const { jobName } = (await response.json()) as { jobName: string };
    const first = (await tail.waitFor(completedFor(jobName), WAIT_MS)) as Completed;

    // The terminal notification Batch sent for this job, as it sits on the notifications topic.
    const jobId = jobName.split('/').pop()!;
    const original = stack.standIns.pubsub
      .published(stack.endpoints.topics.notifications)
      .find(
        (m) => m.attributes.NewJobState === 'SUCCEEDED' && m.attributes.JobName?.endsWith(`/jobs/${jobId}`),
      );
    expect(original).toBeDefined();
    const topic = pubsub.topic(stack.endpoints.topics.notifications);
    for (let i = 0; i < 2; i++)
      await topic.publishMessage({ data: original!.data, attributes: original!.attributes });

    const deadline = Date.now() + WAIT_MS;
    const completions = () => tail.events.filter(completedFor(jobName));
    while (completions().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(completions()).toHaveLength(3);
    expect(new Set(completions().map((e) => e.id))).toEqual(new Set([first.id]));
  });
});

describe('streamgate demo', () => {
  it('runs against the stack and prints JSON lines with three job.completed events', async () => {
    const child = spawn(
      process.execPath,
      [
        join(repositoryRoot(), 'bin', 'streamgate'),
        'demo',
        '--stack',
        stack.paths.endpoints,
        '--timeout',
        '120',
      ],
      { cwd: repositoryRoot(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 130_000);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code, stderr).toBe(0);
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    const events = lines.map((line) => JSON.parse(line) as StreamgateEvent);
    for (const event of events) {
      expect(event.specversion).toBe('1.0');
      expect(event.datacontenttype).toBe('application/json');
    }
    expect(events.filter((e) => e.type === EVENT_TYPES.completed)).toHaveLength(3);
    expect(events.filter((e) => e.type === EVENT_TYPES.launched)).toHaveLength(3);
    expect(stderr).toMatch(/launched hello:eligible in us-central1 \(streaming on\)/);
    expect(stderr).toMatch(/launched hello:dup in us-central1 \(streaming off: DUPLICATE_LAYER\)/);
    expect(stderr).toMatch(/launched repairs\/hello:dup in us-central1 \(streaming on, repaired as sha256:/);
    expect(stderr).toMatch(/completed hello:eligible SUCCEEDED/);
  }, 150_000);
});
