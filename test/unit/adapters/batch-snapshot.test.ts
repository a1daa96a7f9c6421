import { describe, expect, it } from 'vitest';
import { jobSnapshot, taskSummary } from '../../../shared/adapters/batch-snapshot.js';

/**
 * Batch's answers (as @google-cloud/batch returns them: enums as strings, int64 as strings or
 * numbers, Durations and Timestamps as {seconds, nanos}) turned into the core's snapshots.
 */
describe('jobSnapshot', () => {
  it('flattens the first runnable, the task count, the run duration and the times', () => {
    const snapshot = jobSnapshot({
      name: 'projects/p/locations/us-central1/jobs/j',
      uid: 'uid-1',
      status: { state: 'SUCCEEDED', runDuration: { seconds: '90', nanos: 500_000_000 } },
      taskGroups: [
        {
          taskCount: '4',
          taskSpec: {
            runnables: [{ container: { imageUri: 'r/app@sha256:1', enableImageStreaming: true } }],
          },
        },
      ],
      labels: { 'streamgate-managed': 'true' },
      createTime: { seconds: '1795737600', nanos: 250_000_000 },
    });
    expect(snapshot).toEqual({
      name: 'projects/p/locations/us-central1/jobs/j',
      uid: 'uid-1',
      state: 'SUCCEEDED',
      image: 'r/app@sha256:1',
      streaming: true,
      labels: { 'streamgate-managed': 'true' },
      taskCount: 4,
      runDurationSeconds: 90.5,
      createTime: '2026-11-27T00:00:00.250Z',
    });
  });

  it('leaves out what Batch does not say, and reports no state as STATE_UNSPECIFIED', () => {
    expect(jobSnapshot({ taskGroups: [{ taskSpec: { runnables: [{ script: { text: 'x' } }] } }] })).toEqual({
      state: 'STATE_UNSPECIFIED',
      image: '',
      labels: {},
    });
  });
});

describe('taskSummary', () => {
  it('keeps the last exit code among the executions, null when none exited', () => {
    expect(
      taskSummary({
        name: 't/0',
        status: {
          state: 'FAILED',
          statusEvents: [
            { taskExecution: { exitCode: 1 } },
            { description: 'retry' },
            { taskExecution: { exitCode: 3 } },
          ],
        },
      }),
    ).toEqual({ name: 't/0', state: 'FAILED', exitCode: 3 });
    expect(taskSummary({ status: { state: 'RUNNING' } })).toEqual({
      name: 'unknown',
      state: 'RUNNING',
      exitCode: null,
    });
  });
});
