import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, jobSpec, PARENT, PROJECT, startHarness } from './helpers.js';
import type { Harness, Job } from './helpers.js';

/** The client error for a CreateJob the stand-in must refuse. */
async function refusal(
  h: Harness,
  request: Parameters<Harness['client']['createJob']>[0],
): Promise<{ code?: number; message: string }> {
  try {
    await h.client.createJob(request);
  } catch (error) {
    return { code: codeOf(error), message: (error as Error).message };
  }
  throw new Error('CreateJob unexpectedly succeeded');
}

describe('Batch stand-in: CreateJob validation', () => {
  let h: Harness;
  let clock = Date.UTC(2026, 10, 27, 12, 0, 0);
  beforeAll(async () => {
    h = await startHarness({ timings: 'manual', now: () => clock });
  });
  afterAll(async () => {
    await h.close();
  });

  const group = (): NonNullable<Job['taskGroups']>[number] => jobSpec().taskGroups![0]!;
  const cases: {
    what: string;
    request: () => Parameters<Harness['client']['createJob']>[0];
    message: RegExp;
  }[] = [
    {
      what: 'malformed parent',
      request: () => ({ parent: `projects/${PROJECT}/regions/us-central1`, jobId: 'a', job: jobSpec() }),
      message: /parent .* must have the form projects\/\{project\}\/locations\/\{location\}/,
    },
    {
      what: 'region without Batch',
      request: () => ({
        parent: `projects/${PROJECT}/locations/northamerica-south1`,
        jobId: 'a',
        job: jobSpec(),
      }),
      message: /"northamerica-south1" is not a region where Batch runs jobs/,
    },
    {
      what: 'job id with upper case',
      request: () => ({ parent: PARENT, jobId: 'Bad-Id', job: jobSpec() }),
      message: /job_id "Bad-Id" is invalid/,
    },
    {
      what: 'job id ending in a dash',
      request: () => ({ parent: PARENT, jobId: 'bad-', job: jobSpec() }),
      message: /job_id "bad-" is invalid/,
    },
    {
      what: 'job id starting with a digit',
      request: () => ({ parent: PARENT, jobId: '1bad', job: jobSpec() }),
      message: /job_id "1bad" is invalid/,
    },
    {
      what: 'job id of 64 characters',
      request: () => ({ parent: PARENT, jobId: 'a'.repeat(64), job: jobSpec() }),
      message: /at most 63 characters/,
    },
    {
      what: 'request id that is not a UUID',
      request: () => ({ parent: PARENT, jobId: 'a', requestId: 'retry-1', job: jobSpec() }),
      message: /request_id "retry-1" must be a valid UUID/,
    },
    {
      what: 'zero UUID request id',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        requestId: '00000000-0000-0000-0000-000000000000',
        job: jobSpec(),
      }),
      message: /other than the zero UUID/,
    },
    { what: 'missing job', request: () => ({ parent: PARENT, jobId: 'a' }), message: /job is required/ },
    {
      what: 'no task group',
      request: () => ({ parent: PARENT, jobId: 'a', job: { ...jobSpec(), taskGroups: [] } }),
      message: /exactly one task group \(got 0\)/,
    },
    {
      what: 'two task groups',
      request: () => ({ parent: PARENT, jobId: 'a', job: { ...jobSpec(), taskGroups: [group(), group()] } }),
      message: /exactly one task group \(got 2\)/,
    },
    {
      what: 'no runnable',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: { ...jobSpec(), taskGroups: [{ taskSpec: { runnables: [] } }] },
      }),
      message: /at least one runnable/,
    },
    {
      what: 'no task spec',
      request: () => ({ parent: PARENT, jobId: 'a', job: { ...jobSpec(), taskGroups: [{ taskCount: 1 }] } }),
      message: /task_spec is required/,
    },
    {
      what: 'container without image',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: {
          ...jobSpec(),
          taskGroups: [{ taskSpec: { runnables: [{ container: { commands: ['x'] } }] } }],
        },
      }),
      message: /container.image_uri is required/,
    },
    {
      what: 'allowed location in another region',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: jobSpec(undefined, {
          allocationPolicy: { location: { allowedLocations: ['regions/us-east1'] } },
        }),
      }),
      message: /"regions\/us-east1" is not in the job's region us-central1/,
    },
    {
      what: 'allowed zone in another region',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: jobSpec(undefined, {
          allocationPolicy: { location: { allowedLocations: ['zones/us-central1-a', 'zones/us-east1-b'] } },
        }),
      }),
      message: /"zones\/us-east1-b" is not in the job's region/,
    },
    {
      what: 'reserved goog- label',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: jobSpec(undefined, { labels: { 'goog-owner': 'x' } }),
      }),
      message: /labels key "goog-owner" is reserved/,
    },
    {
      what: 'reserved google- label',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: jobSpec(undefined, { labels: { 'google-x': 'y' } }),
      }),
      message: /labels key "google-x" is reserved/,
    },
    {
      what: 'malformed notification topic',
      request: () => ({
        parent: PARENT,
        jobId: 'a',
        job: jobSpec(undefined, {
          notifications: [{ pubsubTopic: 'topics/x', message: { type: 'JOB_STATE_CHANGED' } }],
        }),
      }),
      message: /pubsub_topic "topics\/x" must have the form/,
    },
  ];

  it.each(cases)(
    'refuses a $what with INVALID_ARGUMENT and a useful message',
    async ({ request, message }) => {
      const before = h.standIn.jobs().length;
      const error = await refusal(h, request());
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.message).toMatch(message);
      expect(h.standIn.jobs().length).toBe(before);
    },
  );

  it('accepts zones inside the job region and a 63-character id', async () => {
    const jobId = `a${'b'.repeat(61)}c`;
    const [job] = await h.client.createJob({
      parent: PARENT,
      jobId,
      job: jobSpec(undefined, {
        allocationPolicy: { location: { allowedLocations: ['zones/us-central1-a', 'zones/us-central1-f'] } },
      }),
    });
    expect(job.name).toBe(`${PARENT}/jobs/${jobId}`);
  });

  it('answers ALREADY_EXISTS for a job id in use', async () => {
    await h.client.createJob({ parent: PARENT, jobId: 'taken', job: jobSpec() });
    const error = await refusal(h, { parent: PARENT, jobId: 'taken', job: jobSpec() });
    expect(error.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(error.message).toContain(`${PARENT}/jobs/taken`);
  });

  it('returns the first job for a repeated request id within 60 minutes, and forgets it after', async () => {
    const requestId = '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7';
    const [first] = await h.client.createJob({ parent: PARENT, jobId: 'dedupe', requestId, job: jobSpec() });
    clock += 59 * 60 * 1000;
    const [again] = await h.client.createJob({ parent: PARENT, jobId: 'dedupe', requestId, job: jobSpec() });
    expect(again.uid).toBe(first.uid);
    expect(h.standIn.jobs().filter((j) => j.name === first.name)).toHaveLength(1);

    clock += 2 * 60 * 1000;
    const late = await refusal(h, { parent: PARENT, jobId: 'dedupe', requestId, job: jobSpec() });
    expect(late.code).toBe(grpc.status.ALREADY_EXISTS);
  });
});
