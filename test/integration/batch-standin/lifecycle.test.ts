import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationMessage } from '../../../infra/local/batch/server.js';
import { FAST, jobSpec, PARENT, REGION, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

const TOPIC = 'projects/demo-project/topics/batch-events';
const NUMBER = '555000111222';

interface Captured {
  topic: string;
  message: NotificationMessage;
}

describe('Batch stand-in: lifecycle and notifications', () => {
  let h: Harness;
  const captured: Captured[] = [];
  beforeAll(async () => {
    h = await startHarness({
      timings: FAST,
      projectNumber: NUMBER,
      notify: (topic, message) => {
        captured.push({ topic, message });
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const notifications = [{ pubsubTopic: TOPIC, message: { type: 'JOB_STATE_CHANGED' as const } }];

  async function finalJob(name: string) {
    return waitFor(async () => {
      const [job] = await h.client.getJob({ name });
      return job.status?.state === 'SUCCEEDED' || job.status?.state === 'FAILED' ? job : undefined;
    });
  }

  it('runs QUEUED → SCHEDULED → RUNNING → SUCCEEDED and notifies each change in the real format', async () => {
    const [created] = await h.client.createJob({
      parent: PARENT,
      jobId: 'ok-job',
      job: jobSpec(['echo', 'hi'], { notifications }),
    });
    const job = await finalJob(created.name!);
    expect(job.status?.state).toBe('SUCCEEDED');
    expect(job.status?.statusEvents?.map((e) => e.description)).toEqual([
      `Job state is set from QUEUED to SCHEDULED for job ${created.name}.`,
      `Job state is set from SCHEDULED to RUNNING for job ${created.name}.`,
      `Job state is set from RUNNING to SUCCEEDED for job ${created.name}.`,
    ]);
    expect(job.status?.statusEvents?.every((e) => Number(e.eventTime?.seconds) > 0)).toBe(true);
    expect(job.status?.taskGroups?.group0?.counts).toEqual({ SUCCEEDED: '1' });
    const runMs =
      Number(job.status?.runDuration?.seconds ?? 0) * 1000 + (job.status?.runDuration?.nanos ?? 0) / 1e6;
    expect(runMs).toBeGreaterThanOrEqual(FAST.runningMs - 5);

    await h.standIn.notificationsIdle();
    const mine = captured.filter((c) => c.message.attributes.JobUID === created.uid);
    expect(mine.map((c) => c.message.attributes.NewJobState)).toEqual([
      'QUEUED',
      'SCHEDULED',
      'RUNNING',
      'SUCCEEDED',
    ]);
    const last = mine.at(-1)!;
    const numbered = `projects/${NUMBER}/locations/${REGION}/jobs/ok-job`;
    expect(last.topic).toBe(TOPIC);
    expect(last.message.attributes).toEqual({
      JobName: numbered,
      JobUID: created.uid,
      NewJobState: 'SUCCEEDED',
      Region: REGION,
    });
    expect(last.message.data.toString('utf8')).toMatch(
      new RegExp(
        `^Job state was updated: jobName=${numbered}, jobUID=${created.uid}, previousState=RUNNING, currentState=SUCCEEDED, timestamp=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`,
      ),
    );
    // The completion function reads the job back by the name in the notification.
    const [byNumber] = await h.client.getJob({ name: last.message.attributes.JobName! });
    expect(byNumber.uid).toBe(created.uid);
  });

  it('fails every task with the exit code of `exit 3`, visible through GetTask and ListTasks', async () => {
    const [created] = await h.client.createJob({
      parent: PARENT,
      jobId: 'exit-three',
      job: {
        ...jobSpec(['-c', 'echo start; exit 3'], {}, '/bin/sh'),
        taskGroups: [
          { ...jobSpec(['-c', 'echo start; exit 3'], {}, '/bin/sh').taskGroups![0], taskCount: 2 },
        ],
      },
    });
    const job = await finalJob(created.name!);
    expect(job.status?.state).toBe('FAILED');
    expect(job.status?.taskGroups?.group0?.counts).toEqual({ FAILED: '2' });
    const final = job.status?.statusEvents?.at(-1);
    expect(final?.taskExecution?.exitCode).toBe(3);
    expect(final?.description).toMatch(/from RUNNING to FAILED .* with exit code 3\.$/);

    const [tasks] = await h.client.listTasks({ parent: `${created.name}/taskGroups/group0` });
    expect(tasks).toHaveLength(2);
    for (const task of tasks) {
      expect(task.status?.state).toBe('FAILED');
      expect(task.status?.statusEvents?.map((e) => e.taskState)).toEqual(['ASSIGNED', 'RUNNING', 'FAILED']);
      expect(task.status?.statusEvents?.at(-1)?.taskExecution?.exitCode).toBe(3);
    }
    const [failed] = await h.client.listTasks({
      parent: `${created.name}/taskGroups/group0`,
      filter: 'STATE=FAILED',
    });
    expect(failed).toHaveLength(2);
    const [one] = await h.client.getTask({ name: `${created.name}/taskGroups/group0/tasks/1` });
    expect(one.status?.statusEvents?.at(-1)?.taskExecution?.exitCode).toBe(3);
  });

  it('honours newJobState filters and task-level notifications', async () => {
    const [created] = await h.client.createJob({
      parent: PARENT,
      jobId: 'filtered',
      job: jobSpec(['false'], {
        notifications: [
          { pubsubTopic: TOPIC, message: { type: 'JOB_STATE_CHANGED', newJobState: 'FAILED' } },
          {
            pubsubTopic: 'projects/demo-project/topics/tasks',
            message: { type: 'TASK_STATE_CHANGED', newTaskState: 'FAILED' },
          },
          { pubsubTopic: 'projects/demo-project/topics/silent' },
        ],
      }),
    });
    await finalJob(created.name!);
    await h.standIn.notificationsIdle();
    const mine = captured.filter((c) => c.message.attributes.JobUID === created.uid);
    expect(mine.map((c) => c.topic)).toEqual([TOPIC, 'projects/demo-project/topics/tasks']);
    expect(mine[0]!.message.attributes.NewJobState).toBe('FAILED');
    const task = mine[1]!.message;
    expect(task.attributes).toEqual({
      JobUID: created.uid,
      NewTaskState: 'FAILED',
      TaskName: `projects/${NUMBER}/locations/${REGION}/jobs/filtered/taskGroups/group0/tasks/0`,
      TaskUID: `${created.uid}-group0-0`,
      Region: REGION,
      Type: 'TASK_STATE_CHANGED',
    });
    expect(task.data.toString()).toMatch(
      new RegExp(
        `^Task state was updated: taskUID=${created.uid}-group0-0, previousState=RUNNING, currentState=FAILED, timestamp=\\S+Z$`,
      ),
    );
  });
});

describe('Batch stand-in: manual lifecycle and notification retries', () => {
  let h: Harness;
  let attempts = 0;
  const delivered: string[] = [];
  beforeAll(async () => {
    h = await startHarness({
      timings: 'manual',
      notifyBackoffMs: 1,
      notifyAttempts: 3,
      jobTypeAttribute: true,
      notify: (_topic, message) => {
        attempts += 1;
        // Every second attempt fails: each message needs exactly one retry.
        if (attempts % 2 === 1) throw new Error('publish failed');
        delivered.push(message.attributes.NewJobState!);
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('moves only on advance(), and retries a failing notify until it succeeds', async () => {
    const notifications = [
      { pubsubTopic: 'projects/p/topics/t', message: { type: 'JOB_STATE_CHANGED' as const } },
    ];
    const [created] = await h.client.createJob({
      parent: PARENT,
      jobId: 'manual',
      job: jobSpec(['exit 0'], { notifications }),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(h.standIn.getJobByName(created.name!)?.status.state).toBe('QUEUED');
    expect(h.standIn.advance(created.name!)).toBe('SCHEDULED');
    expect(h.standIn.advance(created.name!)).toBe('RUNNING');
    expect(h.standIn.advance(created.name!)).toBe('SUCCEEDED');
    expect(h.standIn.advance(created.name!)).toBeUndefined();
    expect(h.standIn.advance(`${PARENT}/jobs/unknown`)).toBeUndefined();
    await h.standIn.notificationsIdle();
    expect(delivered).toEqual(['QUEUED', 'SCHEDULED', 'RUNNING', 'SUCCEEDED']);
    expect(attempts).toBe(8);
    expect(h.standIn.notificationStats()).toEqual({ delivered: 4, dropped: 0 });
  });
});

describe('Batch stand-in: a notify that always fails', () => {
  it('gives up after the bounded attempts and keeps serving', async () => {
    let calls = 0;
    const h = await startHarness({
      timings: FAST,
      notifyAttempts: 2,
      notifyBackoffMs: 1,
      notify: () => {
        calls += 1;
        return Promise.reject(new Error('topic gone'));
      },
    });
    try {
      const notifications = [
        {
          pubsubTopic: 'projects/p/topics/t',
          message: { type: 'JOB_STATE_CHANGED' as const, newJobState: 'SUCCEEDED' as const },
        },
      ];
      const [created] = await h.client.createJob({
        parent: PARENT,
        jobId: 'lonely',
        job: jobSpec(['true'], { notifications }),
      });
      await waitFor(() =>
        h.standIn.getJobByName(created.name!)?.status.state === 'SUCCEEDED' ? true : undefined,
      );
      await h.standIn.notificationsIdle();
      expect(calls).toBe(2);
      expect(h.standIn.notificationStats()).toEqual({ delivered: 0, dropped: 1 });
      const [job] = await h.client.getJob({ name: created.name! });
      expect(job.status?.state).toBe('SUCCEEDED');
    } finally {
      await h.close();
    }
  });
});
