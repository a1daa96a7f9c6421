import { describe, expect, it } from 'vitest';
import { parseConfig, type StreamgateConfigInput } from '../../../shared/core/config.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { requestFingerprint } from '../../../shared/core/fingerprint.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import type { BatchJobPlan } from '../../../shared/core/job-builder.js';
import { toLaunchRequest, type JobRequestV1, type LaunchRequest } from '../../../shared/core/request.js';
import { lookupRegions, MAX_LOOKUP_REGIONS } from '../../../shared/pipeline/job-region.js';
import { launch } from '../../../shared/pipeline/launch.js';
import { TEST_DIGEST, TEST_MANIFEST, memoryPorts, type MemoryBatch } from '../../helpers/memory-ports.js';

/**
 * launch()'s idempotency decisions with in-memory ports (our own interfaces, not Google clients):
 * the cases the stack cannot stage, such as a rule that changed between two deliveries of a push or
 * a create that loses a race to another request under the same key.
 */

const DIGEST = TEST_DIGEST;
const IMAGE = `us-central1-docker.pkg.dev/demo-project/apps/web@${DIGEST}`;

/** The in-memory ports, with the counts these tests assert on. */
function harness(config: Partial<StreamgateConfigInput> = {}) {
  const ports = memoryPorts({ config, document: TEST_MANIFEST });
  return {
    deps: ports.deps,
    jobs: ports.batch.jobs,
    events: () => ports.events.events(),
    counts: () => ({
      resolves: ports.images.references.length,
      creates: ports.batch.calls.createJob,
      lookups: ports.batch.calls.getJob,
    }),
    answerCreatesWith: (answer: MemoryBatch['onCreate']) => (ports.batch.onCreate = answer),
    registryFails: (error: Error | undefined) => (ports.images.failure = error),
    registryAnswers: (digest: string) => (ports.images.digest = digest),
    store: (plan: BatchJobPlan) => ports.batch.store(plan),
  };
}

const pushRequest = (template: Partial<JobRequestV1>): LaunchRequest =>
  toLaunchRequest(
    { apiVersion: 'streamgate/v1', image: IMAGE, ...template },
    {
      source: 'push',
      idempotencyKey: `push:apps:us-central1-docker.pkg.dev/demo-project/apps/web:${DIGEST}`,
      correlationId: 'msg-1',
      rule: 'apps',
    },
  );

describe('launch: one key, one request', () => {
  it('answers a repeat from Batch, whatever the registry answers now', async () => {
    const h = harness();
    const first = await launch(pushRequest({ taskCount: 2 }), h.deps);
    expect(first).toMatchObject({ status: 'launched', created: true });
    // The plan's reads start beside the key's lookup; a repeat drops them, so neither a registry
    // that is down nor one that now answers another digest changes what a repeat says.
    h.registryFails(new StreamgateError('MANIFEST_UNAVAILABLE', 'registry down', { kind: 'transient' }));
    const again = await launch({ ...pushRequest({ taskCount: 2 }), correlationId: 'msg-2' }, h.deps);
    expect(again).toMatchObject({ status: 'launched', created: false, imageUri: IMAGE, digest: DIGEST });
    h.registryFails(undefined);
    h.registryAnswers(`sha256:${'b'.repeat(64)}`);
    const third = await launch({ ...pushRequest({ taskCount: 2 }), correlationId: 'msg-3' }, h.deps);
    expect(third).toMatchObject({ status: 'launched', created: false, imageUri: IMAGE, digest: DIGEST });
    expect(h.counts()).toMatchObject({ creates: 1 });
    const launched = h.events().filter((e) => e.type === EVENT_TYPES.launched);
    expect(launched.map((e) => e.id)).toEqual([launched[0]!.id, launched[0]!.id, launched[0]!.id]);
  });

  it('reads the image while Batch is asked for the key, not after (one round trip fewer)', async () => {
    const h = harness();
    let lookupsWhenRead = -1;
    const resolve = h.deps.images.resolve.bind(h.deps.images);
    h.deps.images.resolve = async (...args) => {
      lookupsWhenRead = h.counts().lookups;
      return resolve(...args);
    };
    const lookup = h.deps.batch.getJob.bind(h.deps.batch);
    let readWhileLookingUp = false;
    h.deps.batch.getJob = async (name) => {
      await new Promise((settle) => setTimeout(settle, 5));
      readWhileLookingUp = h.counts().resolves > 0;
      return lookup(name);
    };
    const outcome = await launch(pushRequest({ taskCount: 2 }), h.deps);
    expect(outcome).toMatchObject({ status: 'launched', created: true });
    expect(readWhileLookingUp).toBe(true);
    expect(lookupsWhenRead).toBe(0);
  });

  it('refuses a push whose rule changed since (same key, another request) and changes nothing', async () => {
    const h = harness();
    await launch(pushRequest({ taskCount: 2 }), h.deps);
    const changed = pushRequest({ taskCount: 3 });
    const outcome = await launch(changed, h.deps);
    expect(outcome).toMatchObject({ status: 'rejected', category: 'conflict' });
    expect(h.counts().creates).toBe(1);
    expect(h.jobs.size).toBe(1);
    const [rejected] = h.events().filter((e) => e.type === EVENT_TYPES.rejected);
    expect(rejected?.data).toMatchObject({
      source: 'push',
      rule: 'apps',
      reasons: [{ code: 'IDEMPOTENCY_CONFLICT' }],
    });
    // The ce-id names the refused request, so another conflicting request gets another id.
    expect(rejected?.id).toContain(requestFingerprint(changed));
  });

  it('treats a create that loses a race to another request under the key as a conflict', async () => {
    const h = harness();
    const winner = pushRequest({ taskCount: 9 });
    // The other request's job appears between our lookup and our create; Batch answers our
    // requestId with it, as it does for a request id it has seen.
    h.answerCreatesWith((input) => {
      const theirs = structuredClone(input.job);
      theirs.labels['streamgate-request'] = requestFingerprint(winner);
      return { job: h.store({ ...input, job: theirs }), created: true };
    });
    const outcome = await launch(pushRequest({ taskCount: 2 }), h.deps);
    expect(outcome).toMatchObject({ status: 'rejected', category: 'conflict' });
    expect(h.events().map((e) => e.type)).toEqual([EVENT_TYPES.rejected]);
  });

  it('reads nothing, Batch included, for a request the policy refuses', async () => {
    const h = harness({ policy: { allowedRepositories: ['us-central1-docker.pkg.dev/other/**'] } });
    const outcome = await launch(pushRequest({}), h.deps);
    expect(outcome).toMatchObject({ status: 'rejected', category: 'policy' });
    expect(h.counts()).toEqual({ resolves: 0, creates: 0, lookups: 0 });
  });

  it('refuses a job id held by a job streamgate did not create', async () => {
    const h = harness();
    const request = pushRequest({});
    h.answerCreatesWith((input) => ({
      job: { name: `${input.parent}/jobs/${input.jobId}`, state: 'RUNNING', image: 'other', labels: {} },
      created: false,
    }));
    const outcome = await launch(request, h.deps);
    expect(outcome).toMatchObject({ status: 'rejected', category: 'conflict' });
    expect(outcome.status === 'rejected' && outcome.reasons[0]?.message).toMatch(/did not create/);
  });
});

describe('lookupRegions', () => {
  const image = parseImageReference('us-central1-docker.pkg.dev/demo-project/apps/web:1');
  const config = (allowedRegions?: string[]) =>
    parseConfig({
      project: 'demo-project',
      topics: { events: 'streamgate-events', notifications: 'batch-notifications' },
      jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
      ...(allowedRegions ? { policy: { allowedRegions } } : {}),
    });

  it('looks where the job would be created first, then where the request and a narrow policy point', () => {
    // Five allowed regions are too many to search: only the planned (here: requested) one.
    expect(
      lookupRegions(image, { image: 'x', region: 'us-east1' }, config(['us-*1', 'europe-west4'])),
    ).toEqual(['us-east1']);
    expect(lookupRegions(image, { image: 'x' }, config(['europe-west4', 'us-central1']))).toEqual([
      'us-central1',
      'europe-west4',
    ]);
  });

  it('does not fan out over every region when the policy allows them all, and never beyond the cap', () => {
    expect(lookupRegions(image, { image: 'x' }, config())).toEqual(['us-central1']);
    const many = lookupRegions(
      image,
      { image: 'x', region: 'us-east1' },
      config(['us-central1', 'us-east1']),
    );
    expect(many).toEqual(['us-east1', 'us-central1']);
    expect(many.length).toBeLessThanOrEqual(MAX_LOOKUP_REGIONS);
    // An unparseable image still looks in the regions the request and policy name.
    expect(lookupRegions(undefined, { image: '!', region: 'us-east1' }, config(['us-east1']))).toEqual([
      'us-east1',
    ]);
  });
});
