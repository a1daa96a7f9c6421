import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { isStreamgateError } from '../../../shared/core/errors.js';
import { toLaunchRequest } from '../../../shared/core/request.js';
import { handleJobNotification } from '../../../shared/pipeline/job-notifications.js';
import { launch } from '../../../shared/pipeline/launch.js';
import { TEST_MANIFEST, memoryPorts, TEST_DIGEST } from '../../helpers/memory-ports.js';

/**
 * Batch job notifications with in-memory ports: the notification only names a job; what is
 * published comes from Batch's record (the JobSnapshot), so forged or late claims publish nothing.
 */

const IMAGE = `us-central1-docker.pkg.dev/demo-project/apps/web@${TEST_DIGEST}`;

/** A job streamgate launched (through launch(), so its labels are real), and the ports around it. */
async function launchedJob(options: { stateChanged?: boolean } = {}) {
  const ports = memoryPorts({
    document: TEST_MANIFEST,
    config: { projectNumber: '123456', events: { stateChanged: options.stateChanged ?? false } },
  });
  const request = toLaunchRequest(
    { apiVersion: 'streamgate/v1', image: IMAGE, taskCount: 3 },
    { source: 'webhook', idempotencyKey: 'key-1', correlationId: 'corr-1' },
  );
  const outcome = await launch(request, ports.deps);
  if (outcome.status !== 'launched') throw new Error(`launch failed: ${JSON.stringify(outcome)}`);
  const job = ports.batch.jobs.get(outcome.jobName)!;
  ports.events.messages.length = 0;
  ports.batch.calls.getJob = 0;
  const byNumber = outcome.jobName.replace('projects/demo-project/', 'projects/123456/');
  const notify = (state: string, extra: Record<string, string> = {}) =>
    handleJobNotification(
      { JobName: byNumber, JobUID: 'forged-uid', NewJobState: state, Region: 'us-central1', ...extra },
      { messageId: 'n-1' },
      ports.deps,
    );
  /** Batch records the job under the project number, as it names jobs in notifications. */
  ports.batch.jobs.delete(outcome.jobName);
  ports.batch.put({ ...job, name: byNumber, uid: 'batch-uid' });
  const setState = (state: string) =>
    ports.batch.put({ ...ports.batch.jobs.get(byNumber)!, name: byNumber, state });
  return { ports, jobName: outcome.jobName, byNumber, notify, setState };
}

describe('job notifications: Batch decides what is published', () => {
  it('publishes job.completed from Batch: its uid and state, the task counts and exit codes, the image', async () => {
    const { ports, jobName, byNumber, notify, setState } = await launchedJob();
    setState('FAILED');
    // Batch's record of the container decides over the streaming label written at creation.
    const job = ports.batch.jobs.get(byNumber)!;
    expect(job.labels['streamgate-streaming']).not.toBe('true');
    ports.batch.put({ ...job, name: byNumber, runDurationSeconds: 12.5, streaming: true });
    ports.batch.tasks.set(byNumber, [
      { name: `${byNumber}/taskGroups/group0/tasks/0`, state: 'SUCCEEDED', exitCode: 0 },
      { name: `${byNumber}/taskGroups/group0/tasks/1`, state: 'FAILED', exitCode: 3 },
      { name: `${byNumber}/taskGroups/group0/tasks/2`, state: 'FAILED', exitCode: null },
    ]);
    const outcome = await notify('FAILED');
    expect(outcome).toEqual({ status: 'published', eventId: 'completed:batch-uid:FAILED', state: 'FAILED' });
    const [event] = ports.events.events();
    expect(event?.type).toBe(EVENT_TYPES.completed);
    expect(event?.data).toMatchObject({
      jobName, // the configured project id, not the number the notification used
      jobUid: 'batch-uid',
      region: 'us-central1',
      state: 'FAILED',
      runDurationSeconds: 12.5,
      tasks: { total: 3, counts: { SUCCEEDED: 1, FAILED: 2 } },
      failedTasks: [
        { task: `${byNumber}/taskGroups/group0/tasks/1`, exitCode: 3 },
        { task: `${byNumber}/taskGroups/group0/tasks/2`, exitCode: null },
      ],
      streaming: { enabled: true },
      image: IMAGE,
      correlationId: 'corr-1',
      source: 'webhook',
    });
  });

  it('publishes the same event id for a duplicate notification', async () => {
    const { ports, notify, setState } = await launchedJob();
    setState('SUCCEEDED');
    await notify('SUCCEEDED');
    await notify('SUCCEEDED');
    const ids = ports.events.events().map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('throws a transient JOB_STATE_UNCONFIRMED for a terminal claim Batch does not show, and publishes nothing', async () => {
    const { ports, notify, setState } = await launchedJob();
    setState('RUNNING');
    const error = await notify('SUCCEEDED').catch((e: unknown) => e);
    expect(isStreamgateError(error) && error.code).toBe('JOB_STATE_UNCONFIRMED');
    expect(isStreamgateError(error) && error.transient).toBe(true);
    expect(ports.events.messages).toEqual([]);
    expect(ports.batch.calls.listTasks).toBe(0);
  });

  it('ignores a job streamgate did not create (FOREIGN_JOB), with no event', async () => {
    const { ports, byNumber, notify } = await launchedJob();
    ports.batch.put({ name: byNumber, uid: 'theirs', state: 'SUCCEEDED', image: 'x', labels: { team: 'a' } });
    const outcome = await notify('SUCCEEDED');
    expect(outcome).toMatchObject({ status: 'ignored', reason: { code: 'FOREIGN_JOB' } });
    expect(ports.events.messages).toEqual([]);
  });

  it('ignores a job Batch does not know (NOT_FOUND) and logs a warning', async () => {
    const { ports, byNumber, notify } = await launchedJob();
    ports.batch.jobs.delete(byNumber);
    const outcome = await notify('SUCCEEDED');
    expect(outcome).toMatchObject({ status: 'ignored', reason: { code: 'NOT_FOUND' } });
    expect(ports.events.messages).toEqual([]);
    expect(ports.logs.at(-1)).toMatchObject({ severity: 'WARNING', reason: 'NOT_FOUND' });
  });

  it('ignores task-level and garbled notifications without asking Batch', async () => {
    const { ports, notify } = await launchedJob();
    const task = await notify('SUCCEEDED', { Type: 'TASK_STATE_CHANGED' });
    expect(task).toMatchObject({ status: 'ignored', reason: { code: 'UNSUPPORTED_EVENT' } });
    const garbled = await handleJobNotification(
      { JobName: 'not a job name', JobUID: 'u', NewJobState: 'SUCCEEDED' },
      { messageId: 'n-2' },
      ports.deps,
    );
    expect(garbled).toMatchObject({ status: 'ignored', reason: { code: 'INVALID_ENVELOPE' } });
    expect(ports.batch.calls.getJob).toBe(0);
  });

  it('ignores non-terminal states unless state events are on, without asking Batch', async () => {
    const { ports, notify, setState } = await launchedJob();
    setState('RUNNING');
    const outcome = await notify('RUNNING');
    expect(outcome).toMatchObject({ status: 'ignored', reason: { code: 'UNSUPPORTED_EVENT' } });
    expect(ports.batch.calls.getJob).toBe(0);
  });

  it('with state events on: publishes job.state_changed only for the state Batch records', async () => {
    const { ports, notify, setState } = await launchedJob({ stateChanged: true });
    setState('SCHEDULED');
    const late = await notify('RUNNING');
    expect(late).toMatchObject({ status: 'ignored', reason: { code: 'UNSUPPORTED_EVENT' } });
    expect(ports.events.messages).toEqual([]);
    setState('RUNNING');
    const outcome = await notify('RUNNING');
    expect(outcome).toEqual({ status: 'published', eventId: expect.any(String), state: 'RUNNING' });
    const [event] = ports.events.events();
    expect(event?.type).toBe(EVENT_TYPES.stateChanged);
    expect(event?.data).toMatchObject({ jobUid: 'batch-uid', state: 'RUNNING', correlationId: 'corr-1' });
  });

  it('lets a Batch failure through, so Pub/Sub redelivers', async () => {
    const { ports, notify, setState } = await launchedJob();
    setState('SUCCEEDED');
    ports.batch.getJobFailures.push(new Error('BATCH_UNAVAILABLE'));
    await expect(notify('SUCCEEDED')).rejects.toThrow('BATCH_UNAVAILABLE');
    expect(ports.events.messages).toEqual([]);
  });
});
