import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../shared/core/config.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { handlePush } from '../../../shared/pipeline/push.js';
import { TEST_MANIFEST, memoryPorts, TEST_DIGEST, testConfig } from '../../helpers/memory-ports.js';

/**
 * Artifact Registry pushes with in-memory ports: which pushes launch which jobs, what is ignored
 * without a trace in Batch or on the events topic, and what is refused with a `request.rejected`.
 */

const HELM = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: {
    mediaType: 'application/vnd.cncf.helm.config.v1+json',
    digest: `sha256:${'d'.repeat(64)}`,
    size: 120,
  },
  layers: [
    {
      mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      digest: `sha256:${'2'.repeat(64)}`,
      size: 9,
    },
  ],
};
const REPO = 'us-central1-docker.pkg.dev/demo-project/apps/web';
const PINNED = `${REPO}@${TEST_DIGEST}`;
const RULES = [
  { name: 'smoke', image: 'us-central1-docker.pkg.dev/demo-project/apps/*' },
  { name: 'bench', image: 'us-central1-docker.pkg.dev/demo-project/apps/**', template: { taskCount: 2 } },
  { name: 'other', image: 'us-central1-docker.pkg.dev/demo-project/other/*' },
];

function ports(
  rules: Array<Partial<Rule> & { name: string; image: string }> = RULES,
  document: unknown = TEST_MANIFEST,
) {
  return memoryPorts({ document, config: { rules } });
}
const insert = (fields: { digest?: string; tag?: string }) => ({ action: 'INSERT', ...fields });
const jobsOf = (p: ReturnType<typeof ports>) => [...p.batch.jobs.values()];

describe('handlePush', () => {
  it('launches one job per matching rule, pinned to the pushed digest, and publishes job.launched for each', async () => {
    const p = ports();
    const outcome = await handlePush(
      insert({ digest: PINNED, tag: `${REPO}:v1` }),
      { messageId: 'm-1' },
      p.deps,
    );
    expect(outcome).toMatchObject({ status: 'handled', digest: TEST_DIGEST });
    const launches = outcome.status === 'handled' ? outcome.launches : [];
    expect(launches.map((l) => l.status)).toEqual(['launched', 'launched']);
    const jobs = jobsOf(p);
    expect(jobs).toHaveLength(2);
    expect(jobs.every((job) => job.image === PINNED)).toBe(true);
    expect(jobs.map((job) => job.taskCount).sort()).toEqual([1, 2]);
    expect(p.events.types()).toEqual([EVENT_TYPES.launched, EVENT_TYPES.launched]);
    expect(p.events.events().map((e) => (e.data as { rule?: string }).rule)).toEqual(['smoke', 'bench']);
  });

  it('launches once per rule and digest: a second INSERT of the digest (tag-only or not) is a repeat', async () => {
    const p = ports([RULES[0]!]);
    await handlePush(insert({ digest: PINNED, tag: `${REPO}:v1` }), { messageId: 'm-1' }, p.deps);
    const again = await handlePush(
      insert({ digest: PINNED, tag: `${REPO}:latest` }),
      { messageId: 'm-2' },
      p.deps,
    );
    expect(again).toMatchObject({ status: 'handled', launches: [{ status: 'launched', created: false }] });
    expect(p.batch.calls.createJob).toBe(1);
    expect(p.batch.jobs.size).toBe(1);
  });

  it('refuses a push whose rule changed since the job was created (IDEMPOTENCY_CONFLICT) and changes nothing', async () => {
    const p = ports([RULES[0]!]);
    await handlePush(insert({ digest: PINNED, tag: `${REPO}:v1` }), { messageId: 'm-1' }, p.deps);
    p.deps.config = testConfig({ rules: [{ ...RULES[0]!, template: { taskCount: 5 } }] });
    const outcome = await handlePush(
      insert({ digest: PINNED, tag: `${REPO}:v1` }),
      { messageId: 'm-2' },
      p.deps,
    );
    expect(outcome).toMatchObject({
      status: 'handled',
      launches: [{ status: 'rejected', category: 'conflict', reasons: [{ code: 'IDEMPOTENCY_CONFLICT' }] }],
    });
    expect(p.batch.calls.createJob).toBe(1);
    expect(p.events.types()).toEqual([EVENT_TYPES.launched, EVENT_TYPES.rejected]);
  });

  it("ignores cosign's .sig, .att and .sbom tags without reading the registry or Batch", async () => {
    const p = ports();
    for (const suffix of ['sig', 'att', 'sbom']) {
      const tag = `${REPO}:sha256-${'ab'.repeat(32)}.${suffix}`;
      const outcome = await handlePush(insert({ digest: PINNED, tag }), { messageId: `m-${suffix}` }, p.deps);
      expect(outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining('cosign') });
    }
    expect(p.images.references).toEqual([]);
    expect(p.batch.calls).toEqual({ createJob: 0, getJob: 0, listTasks: 0, countJobsInFlight: 0 });
    expect(p.events.messages).toEqual([]);
  });

  it('ignores an untagged push unless a matching rule sets untagged, and then launches only that rule', async () => {
    const plain = ports();
    const ignored = await handlePush(insert({ digest: PINNED }), { messageId: 'm-1' }, plain.deps);
    expect(ignored).toMatchObject({ status: 'ignored', reason: expect.stringContaining('"untagged": true') });
    expect(plain.events.messages).toEqual([]);
    expect(plain.batch.jobs.size).toBe(0);

    const untagged = ports([{ ...RULES[0]!, untagged: true }, RULES[1]!]);
    const outcome = await handlePush(insert({ digest: PINNED }), { messageId: 'm-2' }, untagged.deps);
    expect(outcome).toMatchObject({ status: 'handled', launches: [{ status: 'launched' }] });
    expect(untagged.events.events().map((e) => (e.data as { rule?: string }).rule)).toEqual(['smoke']);
  });

  it('ignores an image no rule matches without reading it, and a DELETE', async () => {
    const p = ports([RULES[2]!]);
    const unmatched = await handlePush(
      insert({ digest: PINNED, tag: `${REPO}:v1` }),
      { messageId: 'm-1' },
      p.deps,
    );
    expect(unmatched).toMatchObject({ status: 'ignored', reason: 'No rule matches the image.' });
    const deleted = await handlePush({ action: 'DELETE', digest: PINNED }, { messageId: 'm-2' }, p.deps);
    expect(deleted).toMatchObject({ status: 'ignored' });
    expect(p.images.references).toEqual([]);
    expect(p.events.messages).toEqual([]);
  });

  it('ignores what the registry shows is not an image (a Helm chart): no job, no event', async () => {
    const p = ports(RULES, HELM);
    const outcome = await handlePush(
      insert({ digest: PINNED, tag: `${REPO}:1.0.0` }),
      { messageId: 'm-1' },
      p.deps,
    );
    expect(outcome).toMatchObject({ status: 'ignored' });
    expect(p.batch.calls.createJob).toBe(0);
    expect(p.events.messages).toEqual([]);
  });

  it('refuses a message that is not a notification, or an unknown action, with request.rejected', async () => {
    const p = ports();
    const garbled = await handlePush({ digest: 42 }, { messageId: 'm-1' }, p.deps);
    expect(garbled).toMatchObject({
      status: 'rejected',
      category: 'invalid',
      reasons: [{ code: 'INVALID_REQUEST' }],
    });
    const unknown = await handlePush({ action: 'UPDATE', digest: PINNED }, { messageId: 'm-2' }, p.deps);
    expect(unknown).toMatchObject({ status: 'rejected', reasons: [{ code: 'INVALID_REQUEST' }] });
    const rejected = p.events.events();
    expect(rejected.map((e) => e.type)).toEqual([EVENT_TYPES.rejected, EVENT_TYPES.rejected]);
    expect(rejected.map((e) => e.data)).toMatchObject([{ correlationId: 'm-1' }, { correlationId: 'm-2' }]);
    expect(p.batch.jobs.size).toBe(0);
  });
});
