import { describe, expect, it } from 'vitest';
import { MAX_EVENT_ROWS, MAX_JOBS, DashboardState } from '../../../infra/local/dashboard/state.js';
import { tableRow, terminalSafe } from '../../../infra/local/dashboard/event-table.js';
import { buildEvent } from '../../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';

const PARENT = 'projects/demo-project/locations/us-central1';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const context = (id: string) => ({ id, source: '//streamgate/test', time: new Date('2026-11-29T12:00:00Z') });

const REPAIRED = `sha256:${'b'.repeat(64)}`;

/** A launch of `app<n>@DIGEST`; `repaired` makes it a mode-repair launch that runs REPAIRED instead. */
function launched(n: number, streaming: boolean, created = true, repaired = false) {
  const jobId = `sg-push-job${n}`;
  const repository = `us-central1-docker.pkg.dev/demo-project/apps/app${n}`;
  return buildEvent(
    EVENT_TYPES.launched,
    {
      jobName: `${PARENT}/jobs/${jobId}`,
      jobUid: `${jobId}-uid`,
      jobId,
      region: 'us-central1',
      image: {
        reference: `${repository}@${DIGEST}`,
        ...(repaired ? { digest: REPAIRED, repairedFrom: DIGEST } : { digest: DIGEST }),
        uri: `${repository}@${repaired ? REPAIRED : DIGEST}`,
      },
      streaming: {
        enabled: streaming,
        mode: repaired ? 'repair' : 'auto',
        verdict: streaming ? 'eligible' : 'ineligible',
        reasons: streaming ? [] : [{ code: 'DUPLICATE_LAYER', message: 'dup' }],
        warnings: [],
      },
      source: 'push',
      idempotencyKey: `k${n}`,
      correlationId: `c${n}`,
      created,
    },
    context(`launched:${jobId}`),
  );
}

function completed(n: number, state: 'SUCCEEDED' | 'FAILED', streaming: boolean) {
  const jobId = `sg-push-job${n}`;
  return buildEvent(
    EVENT_TYPES.completed,
    {
      jobName: `${PARENT}/jobs/${jobId}`,
      jobUid: `${jobId}-uid`,
      region: 'us-central1',
      state,
      runDurationSeconds: 3,
      tasks: { total: 1, counts: { [state]: 1 } },
      failedTasks: [],
      streaming: { enabled: streaming },
      image: `x@${DIGEST}`,
      correlationId: `c${n}`,
      source: 'push',
    },
    context(`completed:${jobId}:${state}`),
  );
}

function rejected(id: string, codes: string[]) {
  return buildEvent(
    EVENT_TYPES.rejected,
    {
      reasons: codes.map((code) => ({ code, message: code })) as never,
      source: 'webhook',
      correlationId: id,
    },
    context(`rejected:${id}`),
  );
}

describe('DashboardState', () => {
  it('counts launches by source, streaming and verdict , refusals by code, completions by state', () => {
    const state = new DashboardState();
    state.add(launched(1, true));
    state.add(launched(2, false));
    // A redelivered event carries the same ce-id: counted once.
    expect(state.add(launched(2, false, false))).toBeUndefined();
    state.add(rejected('r1', ['POLICY_REGION', 'POLICY_MACHINE_TYPE']));
    state.add(rejected('r2', ['POLICY_REGION']));
    state.add(completed(1, 'SUCCEEDED', true));
    state.add(completed(2, 'FAILED', false));
    const { counters, jobs, events } = state.snapshot();
    expect(counters).toEqual({
      launches: { 'push on eligible': 1, 'push off ineligible': 1 },
      refusals: { POLICY_REGION: 2, POLICY_MACHINE_TYPE: 1 },
      completions: { SUCCEEDED: 1, FAILED: 1 },
    });
    expect(jobs.map((j) => [j.jobId, j.streaming, j.streamingReasons, j.repairedFrom, j.state])).toEqual([
      ['sg-push-job1', 'on', [], '', 'SUCCEEDED'],
      ['sg-push-job2', 'off', ['DUPLICATE_LAYER'], '', 'FAILED'],
    ]);
    expect(events.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'launched'],
      [2, 'launched'],
      [3, 'rejected'],
      [4, 'rejected'],
      [5, 'completed'],
      [6, 'completed'],
    ]);
  });

  it('shows a repaired launch running the repaired digest, repaired from the pushed one', () => {
    const state = new DashboardState();
    state.add(launched(1, true, true, true));
    state.add(completed(1, 'SUCCEEDED', true));
    const { counters, jobs, events } = state.snapshot();
    const runs = `us-central1-docker.pkg.dev/demo-project/apps/app1@${REPAIRED}`;
    expect(jobs).toMatchObject([{ image: runs, streaming: 'on', repairedFrom: DIGEST, state: 'SUCCEEDED' }]);
    expect(events.map((e) => [e.kind, e.image, e.streaming, e.repairedFrom, e.detail])).toEqual([
      ['launched', runs, 'on', DIGEST, 'eligible'],
      ['completed', runs, 'on', DIGEST, 'SUCCEEDED in 3.0 s'],
    ]);
    // A repaired launch is a launch with streaming on; its verdict is the repaired image's.
    expect(counters.launches).toEqual({ 'push on eligible': 1 });
  });

  it('takes job states from Batch, and keeps bounded history and jobs', () => {
    const state = new DashboardState();
    state.add(launched(1, true));
    expect(
      state.updateJobs([{ name: `${PARENT}/jobs/sg-push-job1`, state: 'RUNNING', image: 'x', labels: {} }]),
    ).toBe(true);
    expect(
      state.updateJobs([{ name: `${PARENT}/jobs/sg-push-job1`, state: 'RUNNING', image: 'x', labels: {} }]),
    ).toBe(false);
    expect(state.snapshot().jobs[0]?.state).toBe('RUNNING');

    for (let n = 2; n <= MAX_JOBS + 50; n++) state.add(launched(n, true));
    const { jobs, events } = state.snapshot();
    expect(jobs).toHaveLength(MAX_JOBS);
    expect(jobs[0]?.jobId).toBe('sg-push-job51');
    expect(events).toHaveLength(MAX_EVENT_ROWS);
    expect(events.at(-1)?.seq).toBe(MAX_JOBS + 50);
  });
});

describe('the terminal table', () => {
  it('shows control characters as escapes, never raw', () => {
    expect(terminalSafe('a\u001b[31mred\u0007\n')).toBe('a\\u{1b}[31mred\\u{7}\\u{a}');
    const state = new DashboardState();
    state.add(rejected('r\u001b]0;title\u0007', ['INVALID_REQUEST']));
    const row = tableRow(state.snapshot().events[0]!);
    // eslint-disable-next-line no-control-regex
    expect(row).not.toMatch(/[\u0000-\u001f]/);
    expect(row).toContain('INVALID_REQUEST');
  });

  it('shortens digests in the image column as the demo prints them', () => {
    const state = new DashboardState();
    state.add(launched(1, true));
    expect(tableRow(state.snapshot().events[0]!)).toContain(`apps/app1@sha256:${'a'.repeat(12)}… `);
  });

  it('shows the repaired digest a job runs and the digest it was repaired from', () => {
    const state = new DashboardState();
    state.add(launched(1, true, true, true));
    const row = tableRow(state.snapshot().events[0]!);
    expect(row).toContain(`apps/app1@sha256:${'b'.repeat(12)}… `);
    expect(row).toMatch(new RegExp(` on +eligible \\(repaired from sha256:${'a'.repeat(12)}…\\)$`));
  });
});
