import { describe, expect, it } from 'vitest';
import { describeJob } from '../../../shared/pipeline/job-status.js';
import { memoryPorts } from '../../helpers/memory-ports.js';

/** describeJob with in-memory Batch: what the status endpoint and `streamgate status` report. */

const MANAGED = {
  'streamgate-managed': 'true',
  'streamgate-correlation': 'corr-7',
  'streamgate-source': 'webhook',
};
const nameIn = (region: string, id: string) => `projects/demo-project/locations/${region}/jobs/${id}`;

describe('describeJob', () => {
  it("finds the job in the first region that has it and reports Batch's record", async () => {
    const ports = memoryPorts();
    ports.batch.put({
      name: nameIn('us-east1', 'sg-webhook-1'),
      uid: 'uid-1',
      state: 'RUNNING',
      image: 'us-docker.pkg.dev/p/r/app@sha256:1',
      streaming: true,
      labels: MANAGED,
      createTime: '2026-11-27T00:00:00.000Z',
      updateTime: '2026-11-27T00:01:00.000Z',
    });
    const status = await describeJob('sg-webhook-1', ['us-central1', 'us-east1'], ports.deps);
    expect(status).toEqual({
      jobName: nameIn('us-east1', 'sg-webhook-1'),
      jobUid: 'uid-1',
      region: 'us-east1',
      state: 'RUNNING',
      streaming: true,
      image: 'us-docker.pkg.dev/p/r/app@sha256:1',
      correlationId: 'corr-7',
      source: 'webhook',
      createTime: '2026-11-27T00:00:00.000Z',
      updateTime: '2026-11-27T00:01:00.000Z',
    });
    expect(ports.batch.calls.getJob).toBe(2);
  });

  it('reports a job without a streaming flag or times as not streaming, with no times', async () => {
    const ports = memoryPorts();
    ports.batch.put({ name: nameIn('us-central1', 'j'), state: 'QUEUED', image: '', labels: MANAGED });
    const status = await describeJob('j', ['us-central1'], ports.deps);
    expect(status).toMatchObject({ state: 'QUEUED', streaming: false, jobUid: '' });
    expect(status).not.toHaveProperty('createTime');
  });

  it('reports a job streamgate did not create as not found', async () => {
    const ports = memoryPorts();
    ports.batch.put({ name: nameIn('us-central1', 'theirs'), state: 'RUNNING', image: 'x', labels: {} });
    expect(await describeJob('theirs', ['us-central1'], ports.deps)).toBeUndefined();
  });

  it('asks Batch nothing for an id that cannot be a job id, and reports a missing job as not found', async () => {
    const ports = memoryPorts();
    expect(await describeJob('../etc', ['us-central1'], ports.deps)).toBeUndefined();
    expect(await describeJob('A'.repeat(70), ['us-central1'], ports.deps)).toBeUndefined();
    expect(ports.batch.calls.getJob).toBe(0);
    expect(await describeJob('missing', ['us-central1', 'us-east1'], ports.deps)).toBeUndefined();
    expect(ports.batch.calls.getJob).toBe(2);
  });
});
