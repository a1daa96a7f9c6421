import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../../infra/local/batch/faults.js';
import { startBatchStandIn } from '../../../infra/local/batch/server.js';
import { codeOf, jobSpec, PARENT, quietLogger, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

describe('Batch stand-in: injected faults', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ timings: 'manual' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('UNAVAILABLE before the create: the client sees the error and no job exists', async () => {
    h.standIn.failNext('createJob', 'UNAVAILABLE');
    const calls = h.standIn.createCalls();
    await expect(h.client.createJob({ parent: PARENT, jobId: 'never', job: jobSpec() })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.UNAVAILABLE,
    );
    expect(h.standIn.createCalls()).toBe(calls + 1);
    expect(h.standIn.getJobByName(`${PARENT}/jobs/never`)).toBeUndefined();
    // The one-shot is used up: the same call now works.
    const [job] = await h.client.createJob({ parent: PARENT, jobId: 'never', job: jobSpec() });
    expect(job.name).toBe(`${PARENT}/jobs/never`);
  });

  it('DEADLINE_EXCEEDED after the create: the job exists and a retry gets ALREADY_EXISTS', async () => {
    h.standIn.setFaults({ errorTiming: { DEADLINE_EXCEEDED: 'after' } });
    h.standIn.failNext('createJob', 'DEADLINE_EXCEEDED');
    await expect(h.client.createJob({ parent: PARENT, jobId: 'ghost', job: jobSpec() })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.DEADLINE_EXCEEDED,
    );
    expect(h.standIn.getJobByName(`${PARENT}/jobs/ghost`)?.status.state).toBe('QUEUED');
    await expect(h.client.createJob({ parent: PARENT, jobId: 'ghost', job: jobSpec() })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.ALREADY_EXISTS,
    );
    h.standIn.setFaults({});
  });

  it('a one-shot can say "after" itself, and a retry with the same request id gets the job back', async () => {
    const requestId = '0b9e4c1a-7f2d-4e3c-9a8b-1c2d3e4f5a6b';
    h.standIn.failNext('createJob', 'UNAVAILABLE', 1, 'after');
    await expect(
      h.client.createJob({ parent: PARENT, jobId: 'twice', requestId, job: jobSpec() }),
    ).rejects.toSatisfy((e) => codeOf(e) === grpc.status.UNAVAILABLE);
    const stored = h.standIn.getJobByName(`${PARENT}/jobs/twice`);
    const [job] = await h.client.createJob({ parent: PARENT, jobId: 'twice', requestId, job: jobSpec() });
    expect(job.uid).toBe(stored?.uid);
  });

  it('fails other RPCs too, counted per RPC', async () => {
    h.standIn.failNext('deleteJob', 'PERMISSION_DENIED', 2);
    for (let i = 0; i < 2; i++) {
      await expect(h.client.deleteJob({ name: `${PARENT}/jobs/never` })).rejects.toSatisfy(
        (e) => codeOf(e) === grpc.status.PERMISSION_DENIED,
      );
    }
    expect(h.standIn.callCount('deleteJob')).toBe(2);
    expect(h.standIn.getJobByName(`${PARENT}/jobs/never`)).toBeDefined();
  });

  it('error rates with a seed fail a reproducible share of calls', async () => {
    const outcomes = async (): Promise<string> => {
      h.standIn.setFaults({ seed: 7, getJob: { INTERNAL: 0.5 } });
      let pattern = '';
      for (let i = 0; i < 20; i++) {
        try {
          await h.client.getJob({ name: `${PARENT}/jobs/never` });
          pattern += '.';
        } catch (error) {
          expect(codeOf(error)).toBe(grpc.status.INTERNAL);
          pattern += 'x';
        }
      }
      return pattern;
    };
    const first = await outcomes();
    const second = await outcomes();
    h.standIn.setFaults({});
    expect(second).toBe(first);
    const failures = [...first].filter((c) => c === 'x').length;
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(18);
  });

  it('adds latency within the configured range, holding the call on a timer', async () => {
    h.standIn.setFaults({ latencyMs: { min: 120, max: 160 }, seed: 3 });
    const calls = h.standIn.callCount('getJob');
    const started = performance.now();
    const pending = h.client.getJob({ name: `${PARENT}/jobs/never` });
    await waitFor(() => (h.standIn.callCount('getJob') > calls ? true : undefined), 20_000, 5);
    expect(h.standIn.pendingTimers()).toBe(1);
    await pending;
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    h.standIn.setFaults({});
    await h.client.getJob({ name: `${PARENT}/jobs/never` });
    expect(h.standIn.pendingTimers()).toBe(0);
  });

  it('refuses invalid fault settings', () => {
    expect(() => h.standIn.setFaults({ createJob: { UNAVAILABLE: 0.8, INTERNAL: 0.5 } })).toThrow(
      /add up to at most 1/,
    );
    expect(() => h.standIn.setFaults({ latencyMs: { min: 10, max: 1 } })).toThrow(/min must not exceed/);
  });
});

describe('FaultInjector', () => {
  it('draws the same decisions for the same seed and different ones for another', () => {
    const run = (seed: number) => {
      const f = new FaultInjector({
        seed,
        createJob: { UNAVAILABLE: 0.3, DEADLINE_EXCEEDED: 0.2 },
        latencyMs: { min: 0, max: 100 },
        spikeRate: 0.1,
        spikeMs: 1000,
      });
      return Array.from({ length: 200 }, () => f.decide('createJob')).map(
        (d) => `${d.error?.code ?? '-'}:${d.delayMs}`,
      );
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
    const codes = run(11).map((s) => s.split(':')[0]);
    const unavailable = codes.filter((c) => c === 'UNAVAILABLE').length;
    const deadline = codes.filter((c) => c === 'DEADLINE_EXCEEDED').length;
    expect(unavailable).toBeGreaterThan(35);
    expect(unavailable).toBeLessThan(85);
    expect(deadline).toBeGreaterThan(20);
    expect(deadline).toBeLessThan(60);
    const delays = run(11).map((s) => Number(s.split(':')[1]));
    expect(delays.some((d) => d >= 1000)).toBe(true);
    expect(delays.every((d) => d >= 0 && d <= 1100)).toBe(true);
  });

  it('applies errorTiming per code, and one-shots before random draws', () => {
    const f = new FaultInjector({
      seed: 1,
      getJob: { UNAVAILABLE: 1 },
      errorTiming: { UNAVAILABLE: 'after' },
    });
    f.failNext('getJob', 'ABORTED', 2);
    expect(
      [f.decide('getJob'), f.decide('getJob'), f.decide('getJob')].map((d) => [d.error?.code, d.error?.when]),
    ).toEqual([
      ['ABORTED', 'before'],
      ['ABORTED', 'before'],
      ['UNAVAILABLE', 'after'],
    ]);
    expect(f.decide('listJobs').error).toBeUndefined();
  });
});

describe('startBatchStandIn options', () => {
  it('refuses invalid options with a CONFIG_INVALID error naming the field', async () => {
    await expect(startBatchStandIn({ projectNumber: 'abc', logger: quietLogger() })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('projectNumber'),
    });
    await expect(
      startBatchStandIn({ faults: { createJob: { UNAVAILABLE: 2 } }, logger: quietLogger() }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
