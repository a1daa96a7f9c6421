import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROJECT_NUMBER } from '../../../infra/local/batch/server.js';
import { codeOf, jobSpec, PARENT, PROJECT, REGION, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

describe('Batch stand-in: create, get, list, delete, cancel', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ timings: 'manual' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a job with name, uid, times and QUEUED status, and returns it from GetJob', async () => {
    const [created] = await h.client.createJob({ parent: PARENT, jobId: 'crud-one', job: jobSpec() });
    expect(created.name).toBe(`${PARENT}/jobs/crud-one`);
    expect(created.uid).toMatch(/^crud-one-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{5}$/);
    expect(created.status?.state).toBe('QUEUED');
    expect(Number(created.createTime?.seconds)).toBeGreaterThan(1_600_000_000);
    expect(created.taskGroups?.[0]?.name).toBe(`${PARENT}/jobs/crud-one/taskGroups/group0`);
    expect(created.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.imageUri).toContain('hello:1');
    expect(created.status?.taskGroups?.group0?.counts).toEqual({ PENDING: '1' });

    const [fetched] = await h.client.getJob({ name: created.name! });
    expect(fetched.uid).toBe(created.uid);
    expect(fetched.allocationPolicy?.location?.allowedLocations).toEqual([`regions/${REGION}`]);
  });

  it('accepts the job name with the project number instead of the id', async () => {
    const [fetched] = await h.client.getJob({
      name: `projects/${DEFAULT_PROJECT_NUMBER}/locations/${REGION}/jobs/crud-one`,
    });
    expect(fetched.name).toBe(`${PARENT}/jobs/crud-one`);
  });

  it('answers NOT_FOUND for an unknown job and INVALID_ARGUMENT for a malformed name', async () => {
    await expect(h.client.getJob({ name: `${PARENT}/jobs/nope` })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.NOT_FOUND,
    );
    await expect(h.client.getJob({ name: 'jobs/nope' })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.INVALID_ARGUMENT,
    );
  });

  it('generates a job id when the request has none', async () => {
    const [created] = await h.client.createJob({ parent: PARENT, job: jobSpec() });
    expect(created.name).toMatch(new RegExp(`^${PARENT}/jobs/job-[0-9a-f]{16}$`));
  });

  it('lists jobs of a parent page by page, and filters on state and labels', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) {
      await h.client.createJob({
        parent: PARENT,
        jobId: id,
        job: jobSpec(['true'], { labels: { batch: id } }),
      });
    }
    const names: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const [jobs, next] = await h.client.listJobs(
        { parent: PARENT, pageSize: 2, pageToken },
        { autoPaginate: false },
      );
      expect(jobs.length).toBeLessThanOrEqual(2);
      names.push(...jobs.map((j) => j.name!));
      pageToken = next?.pageToken ?? '';
      pages += 1;
    } while (pageToken && pages < 10);
    expect(pages).toBe(Math.ceil(names.length / 2));
    expect(names).toEqual(h.standIn.jobs().map((j) => j.name));

    const [labelled] = await h.client.listJobs({ parent: PARENT, filter: 'labels.batch="page-b"' });
    expect(labelled.map((j) => j.name)).toEqual([`${PARENT}/jobs/page-b`]);

    h.standIn.advance(`${PARENT}/jobs/page-c`);
    const [scheduled] = await h.client.listJobs({ parent: PARENT, filter: 'status.state=SCHEDULED' });
    expect(scheduled.map((j) => j.name)).toEqual([`${PARENT}/jobs/page-c`]);

    const [otherRegion] = await h.client.listJobs({ parent: `projects/${PROJECT}/locations/europe-west1` });
    expect(otherRegion).toEqual([]);
    const [everywhere] = await h.client.listJobs({ parent: `projects/${PROJECT}/locations/-` });
    expect(everywhere.length).toBe(names.length);

    const [byNameDesc] = await h.client.listJobs({ parent: PARENT, orderBy: 'name desc', filter: 'name!=x' });
    const sorted = [...names].sort().reverse();
    expect(byNameDesc.map((j) => j.name)).toEqual(sorted);

    await expect(h.client.listJobs({ parent: PARENT, filter: 'priority>3' })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.INVALID_ARGUMENT,
    );
  });

  it('deletes a job through a finished long-running operation', async () => {
    await h.client.createJob({ parent: PARENT, jobId: 'doomed', job: jobSpec() });
    const [operation] = await h.client.deleteJob({ name: `${PARENT}/jobs/doomed` });
    const [, metadata] = await operation.promise();
    expect(operation.done).toBe(true);
    expect(metadata?.verb).toBe('delete');
    expect(metadata?.target).toBe(`${PARENT}/jobs/doomed`);
    expect(h.standIn.getJobByName(`${PARENT}/jobs/doomed`)).toBeUndefined();
    await expect(h.client.getJob({ name: `${PARENT}/jobs/doomed` })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.NOT_FOUND,
    );
    // The id is free again.
    const [again] = await h.client.createJob({ parent: PARENT, jobId: 'doomed', job: jobSpec() });
    expect(again.status?.state).toBe('QUEUED');
  });

  it('cancels a running job, and refuses to cancel a finished one', async () => {
    const name = `${PARENT}/jobs/cancel-me`;
    await h.client.createJob({ parent: PARENT, jobId: 'cancel-me', job: jobSpec() });
    h.standIn.advance(name);
    h.standIn.advance(name);
    const [operation] = await h.client.cancelJob({ name });
    const [, metadata] = await operation.promise();
    expect(metadata?.verb).toBe('cancel');
    const [job] = await h.client.getJob({ name });
    expect(job.status?.state).toBe('CANCELLED');
    expect(job.status?.statusEvents?.map((e) => e.description)).toContain(
      `Job state is set from CANCELLATION_IN_PROGRESS to CANCELLED for job ${name}.`,
    );
    await expect(h.client.cancelJob({ name })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.FAILED_PRECONDITION,
    );
  });

  it('lists and gets tasks of group0, with NOT_FOUND for other groups and indexes', async () => {
    const [job] = await h.client.createJob({
      parent: PARENT,
      jobId: 'many-tasks',
      job: { ...jobSpec(), taskGroups: [{ ...jobSpec().taskGroups![0], taskCount: 5 }] },
    });
    const group = `${job.name}/taskGroups/group0`;
    const [firstPage, next] = await h.client.listTasks(
      { parent: group, pageSize: 2 },
      { autoPaginate: false },
    );
    expect(firstPage).toHaveLength(2);
    const [rest] = await h.client.listTasks(
      { parent: group, pageToken: next?.pageToken ?? '' },
      { autoPaginate: false },
    );
    const tasks = [...firstPage, ...rest];
    expect(tasks.map((t) => t.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${group}/tasks/${i}`));
    expect(tasks.every((t) => t.status?.state === 'PENDING')).toBe(true);
    const [task] = await h.client.getTask({ name: `${group}/tasks/3` });
    expect(task.name).toBe(`${group}/tasks/3`);
    await expect(h.client.getTask({ name: `${group}/tasks/5` })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.NOT_FOUND,
    );
    await expect(h.client.listTasks({ parent: `${job.name}/taskGroups/group1` })).rejects.toSatisfy(
      (e) => codeOf(e) === grpc.status.NOT_FOUND,
    );
  });
});
