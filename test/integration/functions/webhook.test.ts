import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
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

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  reasons: Array<{ code: string; message: string }>;
  correlationId?: string;
  errors?: string[];
}

describe('webhook through functions-framework', () => {
  let stack: Stack;
  let digest: string;

  beforeAll(async () => {
    stack = await startStack();
    const pusher = new Pusher(stack.standIns.registry.url);
    digest = await pusher.pushImage(
      `${PROJECT}/apps/web`,
      buildImage([await makeLayer({ 'web.txt': 'web' })]),
      'v1',
    );
    const layer = await makeLayer({ 'dup.txt': 'dup' });
    await pusher.pushImage(`${PROJECT}/apps/dup`, buildImage([layer, layer]), 'v1');
    await stack.standIns.pushesSettled();
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
      const now = Math.floor(Date.now() / 1000);
      await expectProblem(
        await stack.webhook('/jobs', request(), { timestamp: now - 301 }),
        401,
        'SIGNATURE_STALE',
      );
      await expectProblem(
        await stack.webhook('/jobs', request(), { timestamp: now + 301 }),
        401,
        'SIGNATURE_STALE',
      );
    });
    it('refuses a body that differs from the signed one', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { signatureHeader } = await import('../../../shared/core/webhook-signature.js');
      const res = await fetch(`${stack.urls.webhook}/jobs`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Streamgate-Signature': signatureHeader(SECRET, now, JSON.stringify(request())),
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
      const status = await stack.webhook(`/jobs/${jobId}`, undefined, { method: 'GET', secret: null });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({
        jobName,
        region: 'us-central1',
        streaming: true,
        image: `${REGISTRY_HOST}/${PROJECT}/apps/web@${digest}`,
      });
      const withRegion = await stack.webhook(`/jobs/${jobId}?region=us-central1`, undefined, {
        method: 'GET',
        secret: null,
      });
      expect(withRegion.status).toBe(200);
      await expectProblem(
        await stack.webhook('/jobs/sg-webhook-unknown', undefined, { method: 'GET', secret: null }),
        404,
        'NOT_FOUND',
      );
      await expectProblem(
        await stack.webhook(`/jobs/${jobId}?region=Not A Region`, undefined, { method: 'GET', secret: null }),
        400,
        'INVALID_REQUEST',
      );
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
      expect(logs).not.toMatch(/v1=[0-9a-f]{64}/);
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
