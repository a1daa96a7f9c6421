import { describe, expect, it } from 'vitest';
import { decideOutcome } from '../../../infra/local/batch/outcome.js';
import type { RunnableInput } from '../../../infra/local/batch/requests.js';
import { jobStateMessage, rfc3339Seconds } from '../../../infra/local/batch/notification-format.js';

const container = (commands: string[], entrypoint = ''): RunnableInput => ({
  container: { imageUri: 'img', commands, entrypoint },
});

describe('decideOutcome', () => {
  it.each([
    { what: 'a plain command', runnable: container(['echo', 'hello']), exitCode: 0 },
    { what: '`exit 3` as one word', runnable: container(['exit 3']), exitCode: 3 },
    { what: '`exit` and `7` as two words', runnable: container(['exit', '7']), exitCode: 7 },
    {
      what: 'sh -c with a final exit',
      runnable: container(['-c', 'echo start; exit 42'], '/bin/sh'),
      exitCode: 42,
    },
    { what: 'sh -c in the commands', runnable: container(['sh', '-c', 'sleep 1 && exit 5']), exitCode: 5 },
    { what: 'quoted script', runnable: container(['bash', '-c', '"exit 9"']), exitCode: 9 },
    { what: 'false', runnable: container(['false']), exitCode: 1 },
    { what: 'false inside a script', runnable: container(['-c', 'echo a\nfalse'], 'sh'), exitCode: 1 },
    { what: 'exit 0', runnable: container(['-c', 'exit 0'], 'sh'), exitCode: 0 },
    { what: 'exit 256 (shells take it modulo 256)', runnable: container(['exit 257']), exitCode: 1 },
    {
      what: 'a word merely containing exit',
      runnable: container(['echo', 'exit-plan', 'falsehood']),
      exitCode: 0,
    },
    { what: 'a script runnable', runnable: { script: { text: 'echo hi; exit 4' } }, exitCode: 4 },
  ])('$what → exit $exitCode', ({ runnable, exitCode }) => {
    expect(decideOutcome([runnable])).toEqual({ exitCode, succeeded: exitCode === 0 });
  });

  it('looks only at the first container runnable', () => {
    expect(decideOutcome([{ barrier: { name: 'b' } }, container(['exit 2']), container(['exit 6'])])).toEqual(
      { exitCode: 2, succeeded: false },
    );
    expect(decideOutcome([container(['true']), container(['exit 6'])])).toEqual({
      exitCode: 0,
      succeeded: true,
    });
  });

  it('succeeds with no runnables to look at', () => {
    expect(decideOutcome([])).toEqual({ exitCode: 0, succeeded: true });
  });
});

describe('notification format', () => {
  it('writes RFC 3339 timestamps with whole seconds', () => {
    expect(rfc3339Seconds(Date.UTC(2023, 7, 24, 23, 21, 14, 987))).toBe('2023-08-24T23:21:14Z');
  });

  it('builds the job message Batch sends, with Type only when asked', () => {
    const input = {
      jobName: 'projects/871790193467/locations/us-central1/jobs/job-a',
      jobUid: 'job-a-1866e3ae-c20b-4ce5-0a1b2',
      region: 'us-central1',
      previous: 'RUNNING' as const,
      current: 'SUCCEEDED' as const,
      at: Date.UTC(2023, 7, 24, 23, 21, 14),
    };
    const plain = jobStateMessage({ ...input, includeType: false });
    expect(plain.data.toString()).toBe(
      'Job state was updated: jobName=projects/871790193467/locations/us-central1/jobs/job-a, jobUID=job-a-1866e3ae-c20b-4ce5-0a1b2, previousState=RUNNING, currentState=SUCCEEDED, timestamp=2023-08-24T23:21:14Z',
    );
    expect(Object.keys(plain.attributes).sort()).toEqual(['JobName', 'JobUID', 'NewJobState', 'Region']);
    expect(jobStateMessage({ ...input, includeType: true }).attributes.Type).toBe('JOB_STATE_CHANGED');
  });
});
