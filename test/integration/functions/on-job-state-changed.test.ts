import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import { PROJECT, REGISTRY_HOST, TOPICS, startStack, type Stack } from '../../helpers/stack-harness.js';

const NOTIFICATIONS = `projects/${PROJECT}/topics/${TOPICS.notifications}`;

describe('onJobStateChanged through functions-framework', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await new Pusher(stack.standIns.registry.url).pushImage(
      `${PROJECT}/apps/finisher`,
      buildImage([await makeLayer({ 'f.txt': 'finish' })]),
      'v1',
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  const completed = (jobName: string) =>
    stack.events(EVENT_TYPES.completed).filter((e) => e.data.jobName === jobName);

  it('publishes one job.completed for a job that Batch ran to SUCCEEDED', async () => {
    const request = JSON.stringify({
      apiVersion: 'streamgate/v1',
      image: `${REGISTRY_HOST}/${PROJECT}/apps/finisher:v1`,
      correlationId: 'finish-corr',
    });
    expect((await stack.deliver('onJobRequest', { data: request, messageId: 'finish-1' })).status).toBe(204);
    const [launched] = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === 'finish-1');
    expect(launched).toBeDefined();
    const jobId = launched!.data.jobId;

    // The real notification Batch published (attributes + plain-text data), as it arrives.
    const note = await stack.standIns.pubsub.waitFor(
      NOTIFICATIONS,
      (m) =>
        m.attributes.NewJobState === 'SUCCEEDED' && m.attributes.JobName?.endsWith(`/jobs/${jobId}`) === true,
      10_000,
    );
    expect(note.data.toString('utf8')).toMatch(/^Job state was updated/);
    for (let i = 0; i < 2; i++) {
      const res = await stack.deliver(
        'onJobStateChanged',
        { data: note.data, attributes: note.attributes, messageId: note.messageId },
        'push',
      );
      expect(res.status).toBe(204);
    }
    const events = completed(launched!.data.jobName);
    expect(events).toHaveLength(2);
    expect(events[0]!.id).toBe(events[1]!.id);
    expect(events[0]!.data).toMatchObject({
      state: 'SUCCEEDED',
      region: 'us-central1',
      correlationId: 'finish-corr',
      streaming: { enabled: true },
    });
  });

  it("reports Batch's recorded terminal state and uid, even when a notification says otherwise", async () => {
    const request = JSON.stringify({
      apiVersion: 'streamgate/v1',
      image: `${REGISTRY_HOST}/${PROJECT}/apps/finisher:v1`,
      correlationId: 'garbled-corr',
    });
    expect((await stack.deliver('onJobRequest', { data: request, messageId: 'garbled-1' })).status).toBe(204);
    const [launched] = stack
      .events(EVENT_TYPES.launched)
      .filter((e) => e.data.idempotencyKey === 'garbled-1');
    const note = await stack.standIns.pubsub.waitFor(
      NOTIFICATIONS,
      (m) =>
        m.attributes.NewJobState === 'SUCCEEDED' &&
        m.attributes.JobName?.endsWith(`/jobs/${launched!.data.jobId}`) === true,
      10_000,
    );
    // A garbled duplicate: wrong terminal state and uid in the attributes.
    const garbled = { ...note.attributes, NewJobState: 'FAILED', JobUID: 'not-the-real-uid' };
    for (const attributes of [note.attributes, garbled]) {
      const res = await stack.deliver(
        'onJobStateChanged',
        { data: note.data, attributes, messageId: 'g' },
        'push',
      );
      expect(res.status).toBe(204);
    }
    const events = completed(launched!.data.jobName);
    expect(events).toHaveLength(2);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events.map((e) => [e.data.state, e.data.jobUid])).toEqual([
      ['SUCCEEDED', note.attributes.JobUID],
      ['SUCCEEDED', note.attributes.JobUID],
    ]);
  });

  it('ignores a job streamgate did not create', async () => {
    const { BatchServiceClient } = await import('@google-cloud/batch');
    const client = new BatchServiceClient({
      apiEndpoint: '127.0.0.1',
      port: stack.standIns.batch.port,
      sslCreds: grpc.credentials.createInsecure(),
    });
    let name: string;
    try {
      const [job] = await client.createJob({
        parent: `projects/${PROJECT}/locations/us-central1`,
        jobId: 'someone-elses-job',
        job: {
          taskGroups: [{ taskSpec: { runnables: [{ container: { imageUri: 'busybox' } }] } }],
          allocationPolicy: { location: { allowedLocations: ['regions/us-central1'] } },
        },
      });
      name = job.name!;
    } finally {
      await client.close();
    }
    const attributes = { JobName: name, JobUID: 'uid-foreign', NewJobState: 'FAILED', Region: 'us-central1' };
    const res = await stack.deliver('onJobStateChanged', {
      data: 'Job state was updated',
      attributes,
      messageId: 'f-1',
    });
    expect(res.status).toBe(204);
    expect(completed(name)).toHaveLength(0);
  });

  it('acknowledges garbage, task-level and unknown-job notifications without publishing', async () => {
    const before = stack.events(EVENT_TYPES.completed).length;
    const cases: Array<Record<string, string>> = [
      {},
      { JobName: 'not a job name', NewJobState: 'SUCCEEDED', JobUID: 'x' },
      {
        JobName: `projects/${PROJECT}/locations/us-central1/jobs/sg-gone`,
        JobUID: 'u',
        NewJobState: 'WHATEVER',
      },
      {
        JobName: `projects/${PROJECT}/locations/us-central1/jobs/sg-gone`,
        JobUID: 'u',
        NewJobState: 'SUCCEEDED',
      },
      { Type: 'TASK_STATE_CHANGED', TaskUID: 'u-group0-0', NewTaskState: 'SUCCEEDED', JobUID: 'u' },
    ];
    for (const [i, attributes] of cases.entries()) {
      const res = await stack.deliver('onJobStateChanged', { data: 'text', attributes, messageId: `g-${i}` });
      expect(res.status).toBe(204);
    }
    expect(stack.events(EVENT_TYPES.completed)).toHaveLength(before);
  });

  it('throws (500) while Batch cannot be read, so the notification is redelivered', async () => {
    const name = `projects/${PROJECT}/locations/us-central1/jobs/sg-any`;
    // RESOURCE_EXHAUSTED: transient for streamgate, and not retried inside the client library
    // (which retries GetJob UNAVAILABLE itself, with one-second backoffs).
    stack.standIns.batch.failNext('getJob', 'RESOURCE_EXHAUSTED', 3);
    const res = await stack.deliver('onJobStateChanged', {
      data: 'text',
      attributes: { JobName: name, JobUID: 'u', NewJobState: 'SUCCEEDED' },
      messageId: 'unavailable-1',
    });
    expect(res.status).toBe(500);
    expect(stack.standIns.batch.callCount('getJob')).toBeGreaterThanOrEqual(3);
  });
});
