/**
 * The webhook's body bounds against the real functions-framework server, in its own process
 * (function-host over functions-framework, as the local stack runs it, with FUNCTION_TARGET set
 * as Cloud Functions sets it): refusals before reading, problem+json answers, and an attack of
 * gzip bombs and 30 MiB bodies that neither grows the process nor starves a valid request.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { brotliCompressSync, createGzip, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunctionProcess, type FunctionProcess } from '../../../infra/local/function-process.js';
import { repositoryRoot } from '../../../infra/local/stack.js';
import { startStandIns, type StandIns } from '../../../infra/local/standins.js';
import { signatureHeader } from '../../../shared/core/webhook-signature.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import { groupMembers, memoryOf, mib, resetPeaks, sampleGroupRss } from '../../helpers/process-memory.js';
import { repeated, sendRaw, type RawAnswer } from '../../helpers/raw-http.js';
import { PROJECT, REGISTRY_HOST, TOPICS, testConfig } from '../../helpers/stack-harness.js';

const KEY = randomBytes(32).toString('hex');
const MAX_BODY_BYTES = 65_536;
const MiB = 1024 * 1024;
const PLAN_BODY = JSON.stringify({
  apiVersion: 'streamgate/v1',
  image: `${REGISTRY_HOST}/${PROJECT}/apps/web:v1`,
  container: { commands: ['echo', 'hi'] },
});

/** 1 GiB of zeros through gzip, streamed: about 1 MiB that inflates 1000-fold. */
async function gzipBomb(): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of repeated(Buffer.alloc(MiB), 1024 * MiB).pipe(createGzip({ level: 9 }))) {
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}

function signed(path: string, body: string | Buffer): Record<string, string> {
  const t = Math.floor(Date.now() / 1000);
  return {
    'Content-Type': 'application/json',
    'X-Streamgate-Signature': signatureHeader(KEY, t, { method: 'POST', path, body }),
  };
}

const delta = (kib: number): string => `${kib >= 0 ? '+' : ''}${mib(kib)}`;

function expectProblem(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status, answer.body.slice(0, 200)).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(answer.body)).toMatchObject({ status, code });
}

describe('webhook body bounds on the real functions-framework server', () => {
  let standIns: StandIns;
  let webhook: FunctionProcess;
  let dir: string;
  let bomb: Promise<Buffer>;

  const plan = (): Promise<RawAnswer> =>
    sendRaw(`${webhook.url}/jobs:plan`, {
      headers: signed('/jobs:plan', PLAN_BODY),
      body: PLAN_BODY,
      timeoutMs: 30_000,
    });

  beforeAll(async () => {
    bomb = gzipBomb();
    dir = await mkdtemp(join(tmpdir(), 'streamgate-body-bounds-'));
    standIns = await startStandIns({ topics: [TOPICS.events, TOPICS.notifications, TOPICS.requests] });
    await new Pusher(standIns.registry.url).pushImage(
      `${PROJECT}/apps/web`,
      buildImage([await makeLayer({ 'web.txt': 'web' })]),
      'v1',
    );
    await standIns.pushesSettled();
    webhook = await startFunctionProcess({
      name: 'webhook',
      port: 0,
      root: repositoryRoot(),
      env: {
        ...standIns.env,
        STREAMGATE_CONFIG_JSON: JSON.stringify(testConfig()),
        STREAMGATE_WEBHOOK_SECRETS: KEY,
        STREAMGATE_LOG_LEVEL: 'ERROR',
      },
      logFile: join(dir, 'webhook.log'),
    });
    await bomb;
  }, 90_000);
  afterAll(async () => {
    await webhook?.stop();
    await standIns?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers malformed JSON with a 400 problem, not an HTML page', async () => {
    const body = '{"apiVersion": "streamgate/v1", ';
    const answer = await sendRaw(`${webhook.url}/jobs`, { headers: signed('/jobs', body), body });
    expectProblem(answer, 400, 'INVALID_REQUEST');
  });

  it('refuses gzip, deflate and br bodies with 415', async () => {
    const json = Buffer.from(PLAN_BODY);
    const encoded = { gzip: gzipSync(json), deflate: deflateSync(json), br: brotliCompressSync(json) };
    for (const [encoding, body] of Object.entries(encoded)) {
      const headers = { ...signed('/jobs:plan', body), 'Content-Encoding': encoding };
      expectProblem(
        await sendRaw(`${webhook.url}/jobs:plan`, { headers, body }),
        415,
        'UNSUPPORTED_CONTENT_ENCODING',
      );
    }
  });

  it('refuses a Content-Length over the limit with 413 before the body is sent', async () => {
    const answer = await sendRaw(`${webhook.url}/jobs`, {
      headers: { ...signed('/jobs', ''), 'Content-Length': MAX_BODY_BYTES + 1 },
      body: 'hold',
      timeoutMs: 15_000,
    });
    expectProblem(answer, 413, 'BODY_TOO_LARGE');
  });

  it('survives 10 gzip bombs and 10 bodies of 30 MiB: all refused, RSS flat, a valid plan answered', async () => {
    const compressed = await bomb;
    expect(compressed.length).toBeGreaterThan(0.9 * MiB);
    expect(compressed.length).toBeLessThan(1.1 * MiB);

    // Warm up, then take the peak of a window of valid traffic as the baseline.
    for (let i = 0; i < 3; i++) expect((await plan()).status).toBe(200);
    const members = await groupMembers(webhook.pid);
    const exactPeaks = await resetPeaks(members);
    const calm = sampleGroupRss(webhook.pid);
    for (let i = 0; i < 6; i++) expect((await plan()).status).toBe(200);
    const rssBefore = await calm.stop();
    const hwmBefore = (await memoryOf(members)).hwmKiB;

    const during = sampleGroupRss(webhook.pid);
    const started = Date.now();
    const attack = [
      ...Array.from({ length: 10 }, (_, i) =>
        sendRaw(`${webhook.url}/jobs`, {
          headers: {
            ...signed('/jobs', compressed),
            'Content-Encoding': 'gzip',
            ...(i % 2 === 0 ? { 'Content-Length': compressed.length } : {}),
          },
          body: Readable.from([compressed]),
          timeoutMs: 30_000,
        }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        sendRaw(`${webhook.url}/jobs`, {
          headers: {
            'Content-Type': 'application/json',
            ...(i % 2 === 0 ? { 'Content-Length': 30 * MiB } : {}),
          },
          body: repeated(Buffer.alloc(64 * 1024, 0x20), 30 * MiB),
          timeoutMs: 30_000,
        }),
      ),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [planned, ...outcomes] = await Promise.allSettled([plan(), ...attack]);
    const seconds = (Date.now() - started) / 1000;
    const rssDuring = await during.stop();
    const hwmDuring = (await memoryOf(members)).hwmKiB;

    // Every client read its refusal: none saw the connection fail first.
    const answers = outcomes.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
    for (const answer of answers.slice(0, 10)) expectProblem(answer, 415, 'UNSUPPORTED_CONTENT_ENCODING');
    for (const answer of answers.slice(10)) expectProblem(answer, 413, 'BODY_TOO_LARGE');
    if (planned.status === 'rejected') throw planned.reason;
    expect(planned.value.status, planned.value.body.slice(0, 300)).toBe(200);

    console.log(
      `webhook body attack (10 gzip bombs of ${mib(compressed.length / 1024)} MiB → 1 GiB, 10 × 30 MiB, ` +
        `${members.length} process(es), ${seconds.toFixed(1)} s): sampled peak RSS ${mib(rssBefore)} MiB before, ` +
        `${mib(rssDuring)} MiB during (${delta(rssDuring - rssBefore)} MiB)` +
        (exactPeaks
          ? `; VmHWM ${mib(hwmBefore)} MiB before, ${mib(hwmDuring)} MiB during (${delta(hwmDuring - hwmBefore)} MiB)`
          : ''),
    );
    expect(rssDuring - rssBefore).toBeLessThan(64 * 1024);
    if (exactPeaks) expect(hwmDuring - hwmBefore).toBeLessThan(64 * 1024);
  }, 60_000);
});
