/**
 * One idempotency contract for the three entry points: a key names exactly one request (its
 * fingerprint is stored on the job). The same request again gets the existing job, described from
 * Batch; another request under the same key is an IDEMPOTENCY_CONFLICT that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetRuntimeForTests } from '../../../functions/runtime.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { jobIdFor, pushIdempotencyKey, requestIdFor } from '../../../shared/core/ids.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import { pushAppImages } from '../../helpers/app-images.js';
import { PROJECT, REGISTRY_HOST, startStack, type Stack } from '../../helpers/stack-harness.js';

const WEB = `${REGISTRY_HOST}/${PROJECT}/apps/web:v1`;
const TOOL = `${REGISTRY_HOST}/${PROJECT}/apps/tool:v1`;
const DUPLICATED = `${REGISTRY_HOST}/${PROJECT}/apps/dup:v1`;

interface LaunchedBody {
  status: string;
  created: boolean;
  jobName: string;
  jobId: string;
  jobUid: string;
  region: string;
  imageUri: string;
  streaming: {
    enabled: boolean;
    mode: string;
    verdict: string;
    reasons: Array<{ code: string; message: string }>;
  };
}
interface ProblemBody {
  title: string;
  status: number;
  code: string;
  detail: string;
}

describe('idempotency: one key, one request, one job', () => {
  let stack: Stack;
  let pusher: Pusher;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack();
    const images = await pushAppImages(stack);
    pusher = images.pusher;
    digests.web = images.web;
    digests.tool = await pusher.pushImage(
      `${PROJECT}/apps/tool`,
      buildImage([await makeLayer({ 'tool.txt': 'tool v1' })]),
      'v1',
    );
    await stack.standIns.pushesSettled();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const body = (image: string, fields: Record<string, unknown> = {}) => ({
    apiVersion: 'streamgate/v1',
    image,
    container: { commands: ['run'] },
    ...fields,
  });
  const jobsWithId = (jobId: string) =>
    stack.standIns.batch.jobs().filter((j) => j.name.endsWith(`/jobs/${jobId}`));
  const imageOf = (job: { taskGroups?: unknown }) =>
    (job as { taskGroups: Array<{ taskSpec: { runnables: Array<{ container: { imageUri: string } }> } }> })
      .taskGroups[0]!.taskSpec.runnables[0]!.container.imageUri;
  const rejectedFor = (key: string) =>
    stack.events(EVENT_TYPES.rejected).filter((e) => e.data.idempotencyKey === key);

  describe('webhook', () => {
    it('answers a repeat with 200 created:false describing the job Batch holds', async () => {
      const headers = { 'Idempotency-Key': 'idem-repeat' };
      const first = await stack.webhook('/jobs', body(DUPLICATED), { headers });
      expect(first.status).toBe(202);
      const created = (await first.json()) as LaunchedBody;

      const again = await stack.webhook('/jobs', body(DUPLICATED), {
        headers: { ...headers, 'X-Correlation-Id': 'another-delivery' },
      });
      expect(again.status).toBe(200);
      const repeat = (await again.json()) as LaunchedBody;
      const [job] = jobsWithId(created.jobId);
      expect(repeat).toMatchObject({
        status: 'launched',
        created: false,
        jobName: created.jobName,
        jobId: created.jobId,
        jobUid: job!.uid,
        region: 'us-central1',
        imageUri: imageOf(job!),
      });
      // The decision recorded at creation, read back from the job's labels.
      expect(repeat.streaming).toMatchObject({ enabled: false, mode: 'auto', verdict: 'ineligible' });
      expect(repeat.streaming.reasons.map((r) => r.code)).toEqual(
        created.streaming.reasons.map((r) => r.code),
      );
      expect(repeat.streaming.reasons[0]!.code).toBe('DUPLICATE_LAYER');
      expect(repeat.streaming.reasons[0]!.message).toMatch(/original message is not stored/);
      expect(jobsWithId(created.jobId)).toHaveLength(1);
    });

    it('refuses the same key with another image: 409 IDEMPOTENCY_CONFLICT, Batch unchanged', async () => {
      const headers = { 'Idempotency-Key': 'idem-conflict' };
      const first = await stack.webhook('/jobs', body(WEB), { headers });
      expect(first.status).toBe(202);
      const { jobId } = (await first.json()) as LaunchedBody;
      const createsBefore = stack.standIns.batch.createCalls();

      const other = await stack.webhook('/jobs', body(TOOL), { headers });
      expect(other.status).toBe(409);
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await other.json()) as ProblemBody;
      expect(problem).toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
      expect(problem.title).toMatch(/idempotency key/i);
      expect(problem.detail).toMatch(/new idempotency key/);

      expect(stack.standIns.batch.createCalls()).toBe(createsBefore);
      const jobs = jobsWithId(jobId);
      expect(jobs).toHaveLength(1);
      expect(imageOf(jobs[0]!)).toBe(`${REGISTRY_HOST}/${PROJECT}/apps/web@${digests.web}`);
      const [rejected] = rejectedFor('idem-conflict');
      expect(rejected?.data.reasons[0]?.code).toBe('IDEMPOTENCY_CONFLICT');
    });

    it('finds the original job in another region: the conflict is caught, no second job', async () => {
      const headers = { 'Idempotency-Key': 'idem-cross-region' };
      const first = await stack.webhook('/jobs', body(WEB), { headers });
      expect(first.status).toBe(202);
      const { jobId } = (await first.json()) as LaunchedBody;
      // This request's job would live in us-east1 (LOCATION_MISMATCH: runs there without streaming).
      const other = await stack.webhook('/jobs', body(WEB, { region: 'us-east1' }), { headers });
      expect(other.status).toBe(409);
      expect(((await other.json()) as ProblemBody).code).toBe('IDEMPOTENCY_CONFLICT');
      expect(jobsWithId(jobId).map((j) => j.name)).toEqual([
        `projects/${PROJECT}/locations/us-central1/jobs/${jobId}`,
      ]);
    });
    it('plans as it would launch: a used key with another request is a 409, nothing published', async () => {
      const headers = { 'Idempotency-Key': 'idem-plan' };
      expect((await stack.webhook('/jobs', body(WEB), { headers })).status).toBe(202);
      const eventsBefore = stack.events(EVENT_TYPES.rejected).length;

      const other = await stack.webhook('/jobs:plan', body(TOOL), { headers });
      expect(other.status).toBe(409);
      expect(((await other.json()) as ProblemBody).code).toBe('IDEMPOTENCY_CONFLICT');
      // The same request planned again is still a plan (200), and a plan publishes nothing.
      expect((await stack.webhook('/jobs:plan', body(WEB), { headers })).status).toBe(200);
      expect(stack.events(EVENT_TYPES.rejected)).toHaveLength(eventsBefore);
    });

    it('plans without a key ask Batch nothing: a key derived for /jobs:plan names no job', async () => {
      const getsBefore = stack.standIns.batch.callCount('getJob');
      expect((await stack.webhook('/jobs:plan', body(WEB))).status).toBe(200);
      expect(stack.standIns.batch.callCount('getJob')).toBe(getsBefore);
      // With a key, the plan looks it up, as POST /jobs would.
      const keyed = await stack.webhook('/jobs:plan', body(WEB), {
        headers: { 'Idempotency-Key': 'idem-plan-2' },
      });
      expect(keyed.status).toBe(200);
      expect(stack.standIns.batch.callCount('getJob')).toBeGreaterThan(getsBefore);
    });
  });

  describe('Pub/Sub', () => {
    it('refuses a repeated message id with another body: request.rejected, no second job', async () => {
      const messageId = 'idem-msg-1';
      const data = (image: string) => JSON.stringify(body(image));
      expect((await stack.deliver('onJobRequest', { data: data(WEB), messageId })).status).toBe(204);
      const createsBefore = stack.standIns.batch.createCalls();
      expect((await stack.deliver('onJobRequest', { data: data(TOOL), messageId })).status).toBe(204);
      expect(
        (await stack.deliver('onJobRequest', { data: data(DUPLICATED), messageId }, 'binary')).status,
      ).toBe(204);

      expect(stack.standIns.batch.createCalls()).toBe(createsBefore);
      expect(jobsWithId(jobIdFor('pubsub', messageId))).toHaveLength(1);
      const rejected = rejectedFor(messageId);
      expect(rejected.map((e) => e.data.reasons[0]?.code)).toEqual([
        'IDEMPOTENCY_CONFLICT',
        'IDEMPOTENCY_CONFLICT',
      ]);
      // Two different conflicting requests: two ce-ids, so consumers that dedupe see both.
      expect(new Set(rejected.map((e) => e.id)).size).toBe(2);
      const launched = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === messageId);
      expect(launched.map((e) => e.data.created)).toEqual([true]);
    });

    it('answers a repeat whose tag moved since with the image the job runs', async () => {
      const key = 'idem-tag-moved';
      const data = JSON.stringify(body(TOOL, { idempotencyKey: key }));
      expect((await stack.deliver('onJobRequest', { data, messageId: 'tag-moved-1' })).status).toBe(204);
      const moved = await pusher.pushImage(
        `${PROJECT}/apps/tool`,
        buildImage([await makeLayer({ 'tool.txt': 'tool v2' })]),
        'v1',
      );
      expect(moved).not.toBe(digests.tool);
      await stack.standIns.pushesSettled();
      // The repeat lands on a fresh instance (as after a cold start): no tag → digest answer cached.
      await resetRuntimeForTests();

      expect((await stack.deliver('onJobRequest', { data, messageId: 'tag-moved-2' })).status).toBe(204);
      const [first, repeat] = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === key);
      expect(repeat?.data).toMatchObject({
        created: false,
        jobName: first!.data.jobName,
        correlationId: 'tag-moved-2',
        image: {
          reference: TOOL,
          digest: digests.tool,
          uri: `${REGISTRY_HOST}/${PROJECT}/apps/tool@${digests.tool}`,
        },
        streaming: { enabled: true, verdict: 'eligible', mode: 'auto' },
      });
      // The tag's reads ran beside the key's lookup (they now answer the moved digest); the repeat
      // dropped them and answered what Batch holds.
    });
  });

  describe('keys per entry point', () => {
    it('launches one job per repository when the same digest is pushed to two', async () => {
      const image = buildImage([await makeLayer({ 'twin.txt': 'same bytes' })]);
      const before = stack.standIns.pubsub.published(stack.standIns.gcrTopic).length;
      const digest = await pusher.pushImage(`${PROJECT}/apps/twin-a`, image, 'v1');
      expect(await pusher.pushImage(`${PROJECT}/apps/twin-b`, image, 'v1')).toBe(digest);
      await stack.standIns.pushesSettled();
      const notices = stack.standIns.pubsub.published(stack.standIns.gcrTopic).slice(before);
      for (const notice of notices) {
        const res = await stack.deliver('onImagePush', { data: notice.data, messageId: notice.messageId });
        expect(res.status).toBe(204);
      }
      const expected = ['twin-a', 'twin-b'].map((name) =>
        jobIdFor('push', pushIdempotencyKey('apps', `${REGISTRY_HOST}/${PROJECT}/apps/${name}`, digest)),
      );
      expect(expected[0]).not.toBe(expected[1]);
      for (const [index, jobId] of expected.entries()) {
        const jobs = jobsWithId(jobId);
        expect(jobs).toHaveLength(1);
        expect(imageOf(jobs[0]!)).toBe(`${REGISTRY_HOST}/${PROJECT}/apps/twin-${'ab'[index]}@${digest}`);
      }
    });

    it('makes two jobs with two request ids for one key sent through the webhook and Pub/Sub', async () => {
      const key = 'idem-two-doors';
      const webhook = await stack.webhook('/jobs', body(WEB), { headers: { 'Idempotency-Key': key } });
      expect(webhook.status).toBe(202);
      const data = JSON.stringify(body(WEB, { idempotencyKey: key }));
      expect((await stack.deliver('onJobRequest', { data, messageId: 'two-doors-1' })).status).toBe(204);

      const ids = [jobIdFor('webhook', key), jobIdFor('pubsub', key)];
      expect(requestIdFor(ids[0]!)).not.toBe(requestIdFor(ids[1]!));
      // Batch answers a request id it has seen with that call's job: one shared id would give one job.
      for (const jobId of ids) expect(jobsWithId(jobId)).toHaveLength(1);
      const launched = stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === key);
      expect(launched.map((e) => [e.data.source, e.data.created])).toEqual([
        ['webhook', true],
        ['pubsub', true],
      ]);
    });
  });
});
