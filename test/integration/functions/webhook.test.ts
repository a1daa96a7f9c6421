import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHmac } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Problem } from '../../../functions/problem.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { jobIdFor } from '../../../shared/core/ids.js';
import { signatureHeader, signedRequestKey } from '../../../shared/core/webhook-signature.js';
import { pushAppImages } from '../../helpers/app-images.js';
import {
  OLD_SECRET,
  PROJECT,
  REGISTRY_HOST,
  SECRET,
  startStack,
  type Stack,
} from '../../helpers/stack-harness.js';

const ELIGIBLE = `${REGISTRY_HOST}/${PROJECT}/apps/web:v1`;
const DUPLICATED = `${REGISTRY_HOST}/${PROJECT}/apps/dup:v1`;

const request = (fields: Record<string, unknown> = {}) => ({
  apiVersion: 'streamgate/v1',
  image: ELIGIBLE,
  container: { commands: ['echo', 'hi'] },
  ...fields,
});

type ProblemBody = Problem & { errors?: string[] };

describe('webhook through functions-framework', () => {
  let stack: Stack;
  let digest: string;

  beforeAll(async () => {
    stack = await startStack();
    digest = (await pushAppImages(stack)).web;
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function expectProblem(res: Response, status: number, code?: string): Promise<ProblemBody> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as ProblemBody;
    expect(body.status).toBe(status);
    expect(body.type).toMatch(/^urn:streamgate:problem:/);
    if (code) expect(body.code).toBe(code);
    return body;
  }

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const sign = (method: string, path: string, body: string, t = nowSeconds()) =>
    signatureHeader(SECRET, t, { method, path, body });
  /** Sends exactly this signature header (or none), as a client replaying a capture would. */
  const send = (method: string, path: string, body: string, signature: string | undefined) =>
    fetch(`${stack.urls.webhook}${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(signature === undefined ? {} : { 'X-Streamgate-Signature': signature }),
      },
      ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
      signal: AbortSignal.timeout(20_000),
    });

  describe('signatures', () => {
    it('refuses a missing signature', async () => {
      await expectProblem(
        await stack.webhook('/jobs', request(), { secret: null }),
        401,
        'SIGNATURE_MISSING',
      );
    });
    it('refuses a signature made with an unknown key', async () => {
      await expectProblem(
        await stack.webhook('/jobs', request(), { secret: 'wrong' }),
        401,
        'SIGNATURE_INVALID',
      );
    });
    it('refuses a malformed signature header', async () => {
      const res = await stack.webhook('/jobs', request(), {
        secret: null,
        headers: { 'X-Streamgate-Signature': 'garbage' },
      });
      await expectProblem(res, 401, 'SIGNATURE_INVALID');
    });
    it('refuses stale and future-dated signatures', async () => {
      // An hour off, against a 300 s tolerance: however long the busy machine takes between
      // reading this clock and the server reading its own, the answer is the same (the exact
      // boundary is tested with an injected clock in test/unit/core/webhook-signature.test.ts).
      const now = () => Math.floor(Date.now() / 1000);
      await expectProblem(
        await stack.webhook('/jobs', request(), { timestamp: now() - 3_600 }),
        401,
        'SIGNATURE_STALE',
      );
      await expectProblem(
        await stack.webhook('/jobs', request(), { timestamp: now() + 3_600 }),
        401,
        'SIGNATURE_STALE',
      );
    });
    it('refuses a body that differs from the signed one', async () => {
      const now = Math.floor(Date.now() / 1000);
      const res = await fetch(`${stack.urls.webhook}/jobs`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Streamgate-Signature': signatureHeader(SECRET, now, {
            method: 'POST',
            path: '/jobs',
            body: JSON.stringify(request()),
          }),
        },
        body: JSON.stringify(request({ taskCount: 2 })),
      });
      await expectProblem(res, 401, 'SIGNATURE_INVALID');
    });
    it('accepts a request signed with the previous key during a rotation', async () => {
      const res = await stack.webhook('/jobs', request(), {
        secret: OLD_SECRET,
        headers: { 'Idempotency-Key': 'rotated-key-1' },
      });
      expect(res.status).toBe(202);
    });
  });

  describe('input checks', () => {
    it('answers 413 for a body over 64 KiB before checking anything else', async () => {
      const big = request({ labels: { pad: 'x' }, environment: { PAD: 'y'.repeat(70 * 1024) } });
      await expectProblem(await stack.webhook('/jobs', big, { secret: null }), 413, 'BODY_TOO_LARGE');
    });
    it('answers 415 for a body that is not application/json', async () => {
      const res = await stack.webhook('/jobs', 'apiVersion=streamgate/v1', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      await expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
    it('answers 400 for JSON that does not parse', async () => {
      const res = await stack.webhook('/jobs', '{"apiVersion": ');
      expect(res.status).toBe(400);
    });
    it('answers 400 with the zod paths for a schema violation', async () => {
      const body = await expectProblem(
        await stack.webhook('/jobs', request({ taskCount: 'many', surprise: true })),
        400,
        'INVALID_REQUEST',
      );
      expect(body.errors?.some((e) => e.startsWith('taskCount'))).toBe(true);
      expect(body.errors?.join(' ')).toContain('surprise');
    });
    it('answers 400 for an Idempotency-Key that is too long', async () => {
      const res = await stack.webhook('/jobs', request(), {
        headers: { 'Idempotency-Key': 'k'.repeat(257) },
      });
      await expectProblem(res, 400, 'INVALID_REQUEST');
    });
    it('answers 400 when the Idempotency-Key header and the body key differ', async () => {
      const res = await stack.webhook('/jobs', request({ idempotencyKey: 'body-key' }), {
        headers: { 'Idempotency-Key': 'header-key' },
      });
      const body = await expectProblem(res, 400, 'INVALID_REQUEST');
      expect(body.detail).toContain('Idempotency-Key');
    });
    it('answers 403 for a policy violation', async () => {
      const res = await stack.webhook(
        '/jobs',
        request({ image: `${REGISTRY_HOST}/other-project/repo/app:v1` }),
      );
      const body = await expectProblem(res, 403, 'POLICY_REPOSITORY');
      expect(body.correlationId).toBeTruthy();
    });
    it('answers 422 for an ineligible image in require mode, with the reasons', async () => {
      const res = await stack.webhook('/jobs', request({ image: DUPLICATED, streaming: 'require' }));
      const body = await expectProblem(res, 422, 'INELIGIBLE_IMAGE');
      expect(body.reasons.map((r) => r.code)).toContain('DUPLICATE_LAYER');
    });
    it('answers 404 and 405 problems for unknown routes and methods', async () => {
      await expectProblem(await stack.webhook('/nothing', request()), 404, 'NOT_FOUND');
      const res = await stack.webhook('/jobs', request(), { method: 'PUT' });
      await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).toBe('POST');
    });
  });

  describe('launching', () => {
    it('launches once per Idempotency-Key: 202, then 200 for the replay', async () => {
      const headers = { 'Idempotency-Key': 'build-42', 'X-Correlation-Id': 'corr-build-42' };
      const first = await stack.webhook('/jobs', request(), { headers });
      expect(first.status).toBe(202);
      const launched = (await first.json()) as Record<string, unknown>;
      expect(launched).toMatchObject({
        status: 'launched',
        created: true,
        region: 'us-central1',
        imageUri: `${REGISTRY_HOST}/${PROJECT}/apps/web@${digest}`,
        streaming: { enabled: true },
        eligibility: { verdict: 'eligible' },
      });
      expect(first.headers.get('location')).toBe(`/jobs/${String(launched.jobId)}?region=us-central1`);

      const replay = await stack.webhook('/jobs', request(), { headers });
      expect(replay.status).toBe(200);
      const again = (await replay.json()) as Record<string, unknown>;
      expect(again.created).toBe(false);
      expect(again.jobName).toBe(launched.jobName);

      const jobs = stack.standIns.batch
        .jobs()
        .filter((j) => j.name.endsWith(`/jobs/${String(launched.jobId)}`));
      expect(jobs).toHaveLength(1);
      const events = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === 'build-42');
      expect(events.map((e) => e.data.correlationId)).toEqual(['corr-build-42', 'corr-build-42']);
    });

    it(':plan returns exactly the job that POST /jobs then creates', async () => {
      // Same key and correlation id: the plan is the job for exactly this request.
      const headers = { 'Idempotency-Key': 'plan-then-launch', 'X-Correlation-Id': 'plan-corr' };
      const planned = await stack.webhook('/jobs:plan', request({ taskCount: 3 }), { headers });
      expect(planned.status).toBe(200);
      const plan = (await planned.json()) as {
        eligibility: { verdict: string };
        jobRegion: string;
        imageUri: string;
        job: { parent: string; jobId: string; requestId: string; job: Record<string, unknown> };
      };
      expect(plan.eligibility.verdict).toBe('eligible');
      expect(plan.jobRegion).toBe('us-central1');
      const name = `${plan.job.parent}/jobs/${plan.job.jobId}`;
      expect(stack.standIns.batch.getJobByName(name)).toBeUndefined();

      const created = await stack.webhook('/jobs', request({ taskCount: 3 }), { headers });
      expect(created.status).toBe(202);
      expect(((await created.json()) as { jobName: string }).jobName).toBe(name);
      const stored = stack.standIns.batch.getJobByName(name);
      expect(stored).toBeDefined();
      // What Batch stored is what the plan said, field for field (protobuf JSON round trip).
      expect(normalise(stored)).toMatchObject(normalise(plan.job.job) as Record<string, unknown>);
      expect(plan.job.job).toMatchObject({ labels: { 'streamgate-correlation': 'plan-corr' } });
    });

    it('GET /jobs/<id> reports a job, and 404 for unknown ones', async () => {
      const res = await stack.webhook('/jobs', request(), { headers: { 'Idempotency-Key': 'status-me' } });
      const { jobId, jobName } = (await res.json()) as { jobId: string; jobName: string };
      const status = await stack.webhook(`/jobs/${jobId}`, undefined, { method: 'GET' });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({
        jobName,
        region: 'us-central1',
        streaming: true,
        image: `${REGISTRY_HOST}/${PROJECT}/apps/web@${digest}`,
      });
      const withRegion = await stack.webhook(`/jobs/${jobId}?region=us-central1`, undefined, {
        method: 'GET',
      });
      expect(withRegion.status).toBe(200);
      await expectProblem(
        await stack.webhook('/jobs/sg-webhook-unknown', undefined, { method: 'GET' }),
        404,
        'NOT_FOUND',
      );
      await expectProblem(
        await stack.webhook(`/jobs/${jobId}?region=Not A Region`, undefined, { method: 'GET' }),
        400,
        'INVALID_REQUEST',
      );
    });
  });

  describe('scheme v2: signatures bound to the method and the route', () => {
    it('refuses a v1-only header with SIGNATURE_SCHEME_OUTDATED, saying how to sign v2', async () => {
      const raw = JSON.stringify(request());
      const t = nowSeconds();
      const v1 = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${raw}`).digest('hex')}`;
      const creates = stack.standIns.batch.createCalls();
      const body = await expectProblem(
        await send('POST', '/jobs', raw, v1),
        401,
        'SIGNATURE_SCHEME_OUTDATED',
      );
      expect(body.detail).toContain('v2=');
      expect(body.detail).toContain('<t>.<METHOD>.<path>.<raw body>');
      expect(stack.standIns.batch.createCalls()).toBe(creates);
    });

    it('replaying a signed POST /jobs without a key returns the same job, and Batch holds one', async () => {
      const raw = JSON.stringify(request({ labels: { replay: 'exact' } }));
      const t = nowSeconds();
      const signature = sign('POST', '/jobs', raw, t);
      const first = await send('POST', '/jobs', raw, signature);
      expect(first.status).toBe(202);
      const launched = (await first.json()) as { jobId: string; created: boolean };
      // The key derives from what the signature covers, not from a random UUID.
      const key = signedRequestKey(t, { method: 'POST', path: '/jobs', body: raw });
      expect(launched.jobId).toBe(jobIdFor('webhook', key));

      const replay = await send('POST', '/jobs', raw, signature);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toMatchObject({ created: false, jobId: launched.jobId });
      const jobs = stack.standIns.batch.jobs().filter((j) => j.name.endsWith(`/jobs/${launched.jobId}`));
      expect(jobs).toHaveLength(1);
    });

    it('a header padded with bogus or reordered v2 entries verifies and finds the same job', async () => {
      const raw = JSON.stringify(request({ labels: { replay: 'padded' } }));
      const signature = sign('POST', '/jobs', raw);
      const first = await send('POST', '/jobs', raw, signature);
      expect(first.status).toBe(202);
      const { jobId } = (await first.json()) as { jobId: string };
      const [stamp, v2] = signature.split(',');
      const padded = `v2=${'f'.repeat(64)},${String(v2)},${String(stamp)},v2=${'0'.repeat(64)}`;
      const replay = await send('POST', '/jobs', raw, padded);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toMatchObject({ created: false, jobId });
      expect(stack.standIns.batch.jobs().filter((j) => j.name.endsWith(`/jobs/${jobId}`))).toHaveLength(1);
    });

    it('refuses a captured signed POST /jobs:plan replayed to POST /jobs', async () => {
      const raw = JSON.stringify(request({ labels: { replay: 'plan' } }));
      const signature = sign('POST', '/jobs:plan', raw);
      expect((await send('POST', '/jobs:plan', raw, signature)).status).toBe(200);
      const creates = stack.standIns.batch.createCalls();
      await expectProblem(await send('POST', '/jobs', raw, signature), 401, 'SIGNATURE_INVALID');
      expect(stack.standIns.batch.createCalls()).toBe(creates);
    });

    it('signs the route as served: a trailing slash or a query string is not part of the path', async () => {
      const raw = JSON.stringify(request());
      const signature = sign('POST', '/jobs:plan', raw);
      expect((await send('POST', '/jobs:plan/', raw, signature)).status).toBe(200);
      expect((await send('POST', '/jobs:plan?verbose=1', raw, signature)).status).toBe(200);
      const prefixed = sign('POST', '/webhook/jobs:plan', raw);
      await expectProblem(await send('POST', '/jobs:plan', raw, prefixed), 401, 'SIGNATURE_INVALID');
    });
  });

  describe('GET /jobs/<id> is signed', () => {
    let jobA: string;
    let jobB: string;
    beforeAll(async () => {
      const ids: string[] = [];
      for (const key of ['status-a', 'status-b']) {
        const res = await stack.webhook('/jobs', request(), { headers: { 'Idempotency-Key': key } });
        ids.push(((await res.json()) as { jobId: string }).jobId);
      }
      [jobA, jobB] = ids as [string, string];
    });

    it('refuses unsigned, wrongly signed and v1 status requests with 401, before reading Batch', async () => {
      const reads = stack.standIns.batch.callCount('getJob');
      const t = nowSeconds();
      const v1 = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.`).digest('hex')}`;
      const cases: Array<[string | undefined, string]> = [
        [undefined, 'SIGNATURE_MISSING'],
        [
          signatureHeader('not-a-configured-key', t, { method: 'GET', path: `/jobs/${jobA}`, body: '' }),
          'SIGNATURE_INVALID',
        ],
        [sign('POST', `/jobs/${jobA}`, ''), 'SIGNATURE_INVALID'],
        [v1, 'SIGNATURE_SCHEME_OUTDATED'],
      ];
      for (const [signature, code] of cases) {
        const body = await expectProblem(await send('GET', `/jobs/${jobA}`, '', signature), 401, code);
        expect(JSON.stringify(body)).not.toContain(jobA.slice(3));
      }
      expect(stack.standIns.batch.callCount('getJob')).toBe(reads);
      expect((await send('GET', `/jobs/${jobA}`, '', sign('GET', `/jobs/${jobA}`, ''))).status).toBe(200);
    });

    it('refuses a GET signature replayed on another job id or as a HEAD', async () => {
      const signature = sign('GET', `/jobs/${jobA}`, '');
      expect((await send('GET', `/jobs/${jobA}?region=us-central1`, '', signature)).status).toBe(200);
      await expectProblem(await send('GET', `/jobs/${jobB}`, '', signature), 401, 'SIGNATURE_INVALID');
      expect((await send('HEAD', `/jobs/${jobA}`, '', signature)).status).toBe(401);
      expect((await send('HEAD', `/jobs/${jobA}`, '', sign('HEAD', `/jobs/${jobA}`, ''))).status).toBe(200);
    });

    it('answers only for jobs streamgate manages', async () => {
      const { BatchServiceClient } = await import('@google-cloud/batch');
      const client = new BatchServiceClient({
        apiEndpoint: '127.0.0.1',
        port: stack.standIns.batch.port,
        sslCreds: grpc.credentials.createInsecure(),
      });
      try {
        await client.createJob({
          parent: `projects/${PROJECT}/locations/us-central1`,
          jobId: 'someone-elses-job',
          job: {
            taskGroups: [{ taskSpec: { runnables: [{ container: { imageUri: 'busybox' } }] } }],
            allocationPolicy: { location: { allowedLocations: ['regions/us-central1'] } },
          },
        });
      } finally {
        await client.close();
      }
      const path = '/jobs/someone-elses-job';
      await expectProblem(await send('GET', path, '', undefined), 401, 'SIGNATURE_MISSING');
      const body = await expectProblem(await send('GET', path, '', sign('GET', path, '')), 404, 'NOT_FOUND');
      expect(JSON.stringify(body)).not.toContain('busybox');
    });

    it('never puts gRPC details in the body when Batch fails', async () => {
      const path = `/jobs/${jobA}`;
      // The adapter tries transient failures three times in-process: fail them all. (INTERNAL, not
      // UNAVAILABLE: the Batch client retries UNAVAILABLE reads by itself, with backoff.)
      stack.standIns.batch.failNext('getJob', 'INTERNAL', 3);
      const unavailable = await send('GET', `${path}?region=us-central1`, '', sign('GET', path, ''));
      const transient = await expectProblem(unavailable, 503, 'BATCH_UNAVAILABLE');
      expect(unavailable.headers.get('retry-after')).toBe('5');

      stack.standIns.batch.failNext('getJob', 'PERMISSION_DENIED');
      const denied = await send('GET', `${path}?region=us-central1`, '', sign('GET', path, ''));
      const permanent = await expectProblem(denied, 500, 'BATCH_PERMISSION_DENIED');

      for (const body of [transient, permanent]) {
        const text = JSON.stringify(body);
        expect(text).not.toContain('Injected fault');
        expect(text).not.toContain('getJob');
        expect(text).not.toContain(`projects/${PROJECT}`);
        expect(body.correlationId).toBeTruthy();
      }
      expect((await send('GET', path, '', sign('GET', path, ''))).status).toBe(200);
    });

    it('never puts gRPC details in the body when Batch refuses a launch', async () => {
      const raw = JSON.stringify(request({ labels: { refused: 'by-batch' } }));
      stack.standIns.batch.failNext('createJob', 'PERMISSION_DENIED');
      const denied = await send('POST', '/jobs', raw, sign('POST', '/jobs', raw));
      const deployment = await expectProblem(denied, 500, 'BATCH_PERMISSION_DENIED');
      stack.standIns.batch.failNext('createJob', 'FAILED_PRECONDITION');
      const refused = await send('POST', '/jobs', raw, sign('POST', '/jobs', raw));
      const invalid = await expectProblem(refused, 400, 'BATCH_INVALID_ARGUMENT');
      for (const body of [deployment, invalid]) {
        expect(JSON.stringify(body)).not.toContain('Injected fault');
        expect(JSON.stringify(body)).not.toContain(`projects/${PROJECT}`);
      }
    });
  });

  describe('secrets', () => {
    it('never writes keys, signatures or environment values to logs or events', async () => {
      const written: string[] = [];
      const keep = (chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      };
      // Per-invocation loggers read the level when they are made: log everything for this test.
      const level = process.env.STREAMGATE_LOG_LEVEL;
      process.env.STREAMGATE_LOG_LEVEL = 'DEBUG';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
      const token = 'tok-9f8e7d6c5b4a';
      const before = stack.events(EVENT_TYPES.rejected).length + stack.events(EVENT_TYPES.launched).length;
      try {
        // Launched, refused by policy, refused by schema, and a bad signature.
        const sent = [
          await stack.webhook('/jobs', request({ environment: { API_TOKEN: token } }), {
            headers: { 'Idempotency-Key': 'secret-launch' },
          }),
          await stack.webhook(
            '/jobs',
            request({ image: `${REGISTRY_HOST}/other/repo/app:v1`, environment: { API_TOKEN: token } }),
          ),
          await stack.webhook('/jobs', request({ environment: { API_TOKEN: token }, password: token })),
          await stack.webhook('/jobs', request({ environment: { API_TOKEN: token } }), {
            secret: 'wrong-key',
          }),
        ];
        expect(sent.map((r) => r.status)).toEqual([202, 403, 400, 401]);
      } finally {
        out.mockRestore();
        err.mockRestore();
        if (level === undefined) delete process.env.STREAMGATE_LOG_LEVEL;
        else process.env.STREAMGATE_LOG_LEVEL = level;
      }
      const events = [...stack.events(EVENT_TYPES.rejected), ...stack.events(EVENT_TYPES.launched)];
      expect(events.length).toBeGreaterThanOrEqual(before + 3);
      const logs = written.join('');
      expect(logs.length).toBeGreaterThan(0);
      const published = JSON.stringify(events);
      for (const secret of [SECRET, OLD_SECRET, 'wrong-key', token]) {
        expect(logs).not.toContain(secret);
        expect(published).not.toContain(secret);
      }
      expect(logs).not.toMatch(/v[12]=[0-9a-f]{64}/);
      // The variable's name may be reported; its value never.
      expect(published).toContain('API_TOKEN');
    });
  });

  describe('transient faults', () => {
    it('answers 503 with Retry-After while Batch is unavailable, and one job after the retry', async () => {
      const headers = { 'Idempotency-Key': 'flaky-batch' };
      // The adapter retries in-process three times; fail all of them.
      stack.standIns.batch.failNext('createJob', 'UNAVAILABLE', 3);
      const failed = await stack.webhook('/jobs', request(), { headers });
      const body = await expectProblem(failed, 503);
      expect(failed.headers.get('retry-after')).toBe('5');
      expect(body.code).toBe('BATCH_UNAVAILABLE');
      // The gRPC status text stays in the logs.
      expect(JSON.stringify(body)).not.toContain('Injected fault');

      const retried = await stack.webhook('/jobs', request(), { headers });
      expect(retried.status).toBe(202);
      const { jobName } = (await retried.json()) as { jobName: string };
      expect(stack.standIns.batch.jobs().filter((j) => j.name === jobName)).toHaveLength(1);
    });
  });
});

/** Protobuf JSON spells int64 as strings; compare every number as a string on both sides. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}
