/**
 * Issue 11, point 1: a Batch notification only names a job; what is published is what GetJob
 * returns. Forged notifications (anyone who may publish to the notifications topic, the job's own
 * VMs included) must not produce a false `job.completed` or `job.state_changed`.
 *
 * The Batch stand-in runs on manual timings, so a job stays in the state the test moves it to.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import {
  EVENTS_TOPIC,
  PROJECT,
  REGISTRY_HOST,
  TOPICS,
  startStack,
  testConfig,
  type Stack,
} from '../../helpers/stack-harness.js';

const NOTIFICATIONS = `projects/${PROJECT}/topics/${TOPICS.notifications}`;
const IMAGE = `${REGISTRY_HOST}/${PROJECT}/apps/forged:v1`;

interface Launched {
  jobName: string;
  jobId: string;
  jobUid: string;
}

describe('onJobStateChanged publishes only what Batch records', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ batch: { timings: 'manual' } });
    await new Pusher(stack.standIns.registry.url).pushImage(
      `${PROJECT}/apps/forged`,
      buildImage([await makeLayer({ 'f.txt': 'forged' })]),
      'v1',
    );
    // State events on, so forged non-terminal claims are tested too (the runtime rereads the config).
    process.env.STREAMGATE_CONFIG_JSON = JSON.stringify({ ...testConfig(), events: { stateChanged: true } });
    const runtime = await import('../../../functions/runtime.js');
    await runtime.resetRuntimeForTests();
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  async function launchJob(key: string): Promise<Launched> {
    const request = JSON.stringify({ apiVersion: 'streamgate/v1', image: IMAGE, correlationId: key });
    const res = await stack.deliver('onJobRequest', { data: request, messageId: key });
    expect(res.status).toBe(204);
    const [launched] = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === key);
    expect(launched).toBeDefined();
    return launched!.data;
  }

  /** Batch's own notification of `state` for a job, as it was published. */
  function notificationOf(job: Launched, state: string) {
    return stack.standIns.pubsub.waitFor(
      NOTIFICATIONS,
      (m) =>
        m.attributes.NewJobState === state && m.attributes.JobName?.endsWith(`/jobs/${job.jobId}`) === true,
      10_000,
    );
  }

  /** Every event published about one job after its job.launched. */
  const eventsAbout = (jobName: string) =>
    [...stack.events(EVENT_TYPES.completed), ...stack.events(EVENT_TYPES.stateChanged)].filter(
      (e) => e.data.jobName === jobName,
    );

  const notify = (attributes: Record<string, string>, messageId: string) =>
    stack.deliver('onJobStateChanged', { data: 'Job state was updated', attributes, messageId }, 'push');

  it('a RUNNING job reported SUCCEEDED: no event and a retry, then one job.completed once Batch agrees', async () => {
    const job = await launchJob('forged-running');
    const { batch } = stack.standIns;
    expect(batch.advance(job.jobName)).toBe('SCHEDULED');
    expect(batch.advance(job.jobName)).toBe('RUNNING');
    const running = await notificationOf(job, 'RUNNING');
    const forged = { ...running.attributes, NewJobState: 'SUCCEEDED' };

    const first = await notify(forged, 'forged-1');
    expect(first.status).toBeGreaterThanOrEqual(500); // not acknowledged: Pub/Sub redelivers
    expect(eventsAbout(job.jobName)).toEqual([]);

    // The job really finishes; the redelivered claim and Batch's own notification now agree.
    expect(batch.advance(job.jobName)).toBe('SUCCEEDED');
    const real = await notificationOf(job, 'SUCCEEDED');
    expect((await notify(forged, 'forged-1')).status).toBe(204);
    expect((await notify(real.attributes, real.messageId)).status).toBe(204);
    const events = eventsAbout(job.jobName);
    expect(events.map((e) => [e.type, e.data.state, e.data.jobUid])).toEqual([
      [EVENT_TYPES.completed, 'SUCCEEDED', real.attributes.JobUID],
      [EVENT_TYPES.completed, 'SUCCEEDED', real.attributes.JobUID],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
  });

  it('a terminal claim that contradicts Batch is reported with the state Batch records', async () => {
    const job = await launchJob('forged-contradiction');
    for (let i = 0; i < 3; i++) stack.standIns.batch.advance(job.jobName);
    const real = await notificationOf(job, 'SUCCEEDED');
    const forged = { ...real.attributes, NewJobState: 'CANCELLED', JobUID: 'forged-uid', Region: 'xx-fake1' };
    expect((await notify(forged, 'contradiction-1')).status).toBe(204);
    const [event] = eventsAbout(job.jobName);
    expect(event?.type).toBe(EVENT_TYPES.completed);
    expect(event?.data).toMatchObject({
      state: 'SUCCEEDED',
      jobUid: real.attributes.JobUID,
      region: 'us-central1',
    });
  });

  it('state events: a claim Batch does not record publishes nothing; a true one publishes Batch’s facts', async () => {
    const job = await launchJob('forged-state');
    const { batch } = stack.standIns;
    batch.advance(job.jobName);
    batch.advance(job.jobName);
    const running = await notificationOf(job, 'RUNNING');
    // A late (SCHEDULED) and an early (DELETION_IN_PROGRESS) claim: Batch records RUNNING.
    for (const [i, state] of ['SCHEDULED', 'DELETION_IN_PROGRESS', 'QUEUED'].entries()) {
      const res = await notify({ ...running.attributes, NewJobState: state }, `state-${i}`);
      expect(res.status).toBe(204);
    }
    expect(eventsAbout(job.jobName)).toEqual([]);

    // The true claim, once with a forged uid and region: the event carries Batch's.
    await notify(running.attributes, running.messageId);
    await notify({ ...running.attributes, JobUID: 'forged-uid', Region: 'xx-fake1' }, 'state-uid');
    const events = eventsAbout(job.jobName);
    expect(events.map((e) => [e.type, e.data.state, e.data.jobUid, e.data.region])).toEqual([
      [EVENT_TYPES.stateChanged, 'RUNNING', running.attributes.JobUID, 'us-central1'],
      [EVENT_TYPES.stateChanged, 'RUNNING', running.attributes.JobUID, 'us-central1'],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
  });

  it('forged claims publish nothing: a running job is retried, an unknown or a foreign one acknowledged', async () => {
    const own = await launchJob('forged-table');
    stack.standIns.batch.advance(own.jobName);
    stack.standIns.batch.advance(own.jobName);
    const { BatchServiceClient } = await import('@google-cloud/batch');
    const client = new BatchServiceClient({
      apiEndpoint: '127.0.0.1',
      port: stack.standIns.batch.port,
      sslCreds: grpc.credentials.createInsecure(),
    });
    let foreign: string;
    try {
      const [job] = await client.createJob({
        parent: `projects/${PROJECT}/locations/us-central1`,
        jobId: 'someone-elses-running-job',
        job: {
          taskGroups: [{ taskSpec: { runnables: [{ container: { imageUri: 'busybox' } }] } }],
          allocationPolicy: { location: { allowedLocations: ['regions/us-central1'] } },
        },
      });
      foreign = job.name!;
    } finally {
      await client.close();
    }
    const unknown = `projects/${PROJECT}/locations/us-central1/jobs/sg-never-created`;
    const before = stack.standIns.pubsub.published(EVENTS_TOPIC).length;
    const lookups = stack.standIns.batch.callCount('getJob');
    let i = 0;
    for (const JobName of [own.jobName, unknown, foreign]) {
      for (const NewJobState of ['SUCCEEDED', 'FAILED', 'CANCELLED']) {
        const attributes = { JobName, JobUID: 'forged-uid', NewJobState, Region: 'us-central1' };
        const res = await notify(attributes, `other-${i++}`);
        // Only a streamgate job Batch may still finish is worth a redelivery.
        if (JobName === own.jobName) expect(res.status).toBeGreaterThanOrEqual(500);
        else expect(res.status).toBe(204);
      }
    }
    expect(stack.standIns.batch.callCount('getJob') - lookups).toBe(9);
    expect(stack.standIns.pubsub.published(EVENTS_TOPIC).slice(before)).toEqual([]);
  });
});
