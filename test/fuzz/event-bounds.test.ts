/**
 * Issue 11, point 4: events are always valid. Images whose manifests carry strings up to 100 KiB
 * (artifactType, config and layer media types, annotations, layer URLs), under long repository
 * paths and tags, are pushed into the stack and announced on `gcr` as Artifact Registry does;
 * JobRequests with long labels, environment names and message ids are sent for them. Every event
 * published decodes with `fromPubsubMessage` (observe() decodes each one), every job created has
 * its `job.launched` and no `request.rejected`, and its `job.completed` is valid too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamgateEvent } from '../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { buildImage, makeLayer, Pusher, sha256, type BuiltImage } from '../helpers/oci-images.js';
import { lastGcrMessage, PROJECT, REGISTRY_HOST, TOPICS, type Stack } from '../helpers/stack-harness.js';
import {
  deliveries,
  expectNoServerError,
  freshMessageId,
  observe,
  useFuzzStack,
  type Observation,
} from './function-fuzz.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';

const fuzz = useFuzzStack();
const KIB = 1024;
const NOTIFICATIONS = `projects/${PROJECT}/topics/${TOPICS.notifications}`;
const OCI_GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/**
 * Text from empty to 100 KiB, built by repeating a unit so that generating it stays fast. Units
 * include surrogate pairs (a cut may split one), JSON escapes and NUL.
 */
const longText = fc
  .record({
    unit: fc.constantFrom('x', 'é', '😀', '"\\', '\u0000', ' a/b+c;', '<>&'),
    length: fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 2_000, max: 4_000 }),
      fc.integer({ min: 0, max: 100 * KIB }),
    ),
  })
  .map(({ unit, length }) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

/** Manifest fields that may carry huge strings; each is set or left alone. */
interface ManifestNoise {
  artifactType?: string;
  configMediaType?: string;
  /** Appended to the OCI layer namespace, so the manifest still reads as an image. */
  layerTypeSuffix?: string;
  annotations?: Record<string, string>;
  layerAnnotations?: Record<string, string>;
  layerUrl?: string;
}

const annotations = fc.dictionary(
  longText.map((s) => s.slice(0, 200)),
  longText,
  { maxKeys: 3 },
);
/** `arb` one time in `1 + absent`, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Artifact markers are rarer: such pushes launch nothing, and jobs are what is checked. */
const noise: fc.Arbitrary<ManifestNoise> = fc.record({
  artifactType: sometimes(
    longText.map((s) => `application/vnd.example+${s}`),
    6,
  ),
  configMediaType: sometimes(
    longText.map((s) => `application/vnd.example.config+${s}`),
    6,
  ),
  layerTypeSuffix: sometimes(longText, 1),
  annotations: sometimes(annotations, 1),
  layerAnnotations: sometimes(annotations, 1),
  layerUrl: sometimes(
    longText.map((s) => `https://example.com/${s}`),
    2,
  ),
});

/**
 * Repository paths under the `apps` rule: short, near the 255-character name bound of a reference,
 * or beyond it (refused, and the refusal must be a valid event too).
 */
const segments = (n: number) =>
  Array.from({ length: Math.ceil(n / 25) }, (_, i) => `s${i}${'a'.repeat(22)}`).join('/');
const repository = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]{1,20}$/) },
  { weight: 2, arbitrary: fc.integer({ min: 100, max: 200 }).map(segments) },
  { weight: 1, arbitrary: fc.integer({ min: 220, max: 400 }).map(segments) },
);
const tag = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/);

/** A JobRequest for the pushed image with long, sometimes invalid, request strings. */
const requestNoise = fc.record({
  labels: fc.dictionary(
    fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_-]{0,62}$/), longText),
    fc.oneof(fc.stringMatching(/^[a-z0-9_-]{0,63}$/), longText),
    { maxKeys: 4 },
  ),
  environmentNames: fc.array(fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,255}$/), longText), {
    maxLength: 3,
  }),
  correlationId: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,128}$/), longText),
  longMessageId: fc.boolean(),
});

/** The base image as built by a client, with the noise written into its manifest. */
function noisyImage(base: BuiltImage, n: ManifestNoise): BuiltImage {
  const manifest = JSON.parse(base.manifest.toString('utf8')) as {
    config: Record<string, unknown>;
    layers: Array<Record<string, unknown>>;
  } & Record<string, unknown>;
  if (n.artifactType !== undefined) manifest.artifactType = n.artifactType;
  if (n.configMediaType !== undefined) manifest.config.mediaType = n.configMediaType;
  if (n.annotations !== undefined) manifest.annotations = n.annotations;
  const layer = manifest.layers[0]!;
  if (n.layerTypeSuffix !== undefined) layer.mediaType = `${OCI_GZIP_LAYER}+${n.layerTypeSuffix}`;
  if (n.layerAnnotations !== undefined) layer.annotations = n.layerAnnotations;
  if (n.layerUrl !== undefined) layer.urls = [n.layerUrl];
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { ...base, manifest: bytes, digest: sha256(bytes) };
}

/** Pushes the image under `apps/<repo>:<tag>` and returns the `gcr` notice the registry published. */
async function push(stack: Stack, image: BuiltImage, repo: string, tagName: string): Promise<Buffer> {
  await new Pusher(stack.standIns.registry.url).pushImage(`${PROJECT}/apps/${repo}`, image, tagName);
  await stack.standIns.pushesSettled();
  return lastGcrMessage(stack.standIns).data;
}

/** Jobs created during a call: each has its job.launched and no request.rejected. */
function expectLaunchedForEveryJob(stack: Stack, before: Set<string>, o: Observation): string[] {
  const created = stack.standIns.batch
    .jobs()
    .map((job) => job.name)
    .filter((name) => !before.has(name));
  const launched = o.events.filter((e) => e.type === EVENT_TYPES.launched) as StreamgateEvent<
    typeof EVENT_TYPES.launched
  >[];
  for (const name of created) {
    const id = name.slice(name.lastIndexOf('/') + 1);
    expect(
      launched.some((e) => e.data.jobId === id),
      `job ${id} exists without job.launched`,
    ).toBe(true);
  }
  if (created.length > 0) expect(o.events.filter((e) => e.type === EVENT_TYPES.rejected)).toEqual([]);
  return created;
}

/** Runs a created job to its end and checks that its job.completed is published and valid. */
async function expectValidCompletion(stack: Stack, jobName: string): Promise<void> {
  const { batch, pubsub } = stack.standIns;
  while (batch.advance(jobName) !== undefined);
  const id = jobName.slice(jobName.lastIndexOf('/') + 1);
  const note = await pubsub.waitFor(
    NOTIFICATIONS,
    (m) =>
      ['SUCCEEDED', 'FAILED'].includes(m.attributes.NewJobState ?? '') &&
      m.attributes.JobName?.endsWith(`/jobs/${id}`) === true,
    10_000,
  );
  const o = await observe(stack, () =>
    stack.deliver('onJobStateChanged', {
      data: note.data,
      attributes: note.attributes,
      messageId: freshMessageId('bounds-done'),
    }),
  );
  expect(o.status).toBe(204);
  expect(o.events.map((e) => e.type)).toEqual([EVENT_TYPES.completed]);
}

const jobNames = (stack: Stack) => new Set(stack.standIns.batch.jobs().map((job) => job.name));

describe('fuzz: events stay valid whatever strings manifests and requests carry', () => {
  it(
    'every event decodes, and every job created has its job.launched and a valid job.completed',
    async () => {
      const stack = fuzz().stack;
      const base = buildImage([await makeLayer({ 'bounds.txt': 'bounds' })], { format: 'oci' });
      let jobs = 0;
      await fc.assert(
        fc.asyncProperty(
          noise,
          repository,
          tag,
          requestNoise,
          deliveries,
          async (n, repo, tagName, r, how) => {
            const notice = await push(stack, noisyImage(base, n), repo, tagName);
            let before = jobNames(stack);
            const pushed = await observe(stack, () =>
              stack.deliver('onImagePush', { data: notice, messageId: freshMessageId('bounds-push') }, how),
            );
            expectNoServerError(pushed);
            const created = expectLaunchedForEveryJob(stack, before, pushed);

            const request = {
              apiVersion: 'streamgate/v1',
              image: `${REGISTRY_HOST}/${PROJECT}/apps/${repo}:${tagName}`,
              correlationId: r.correlationId,
              labels: r.labels,
              environment: Object.fromEntries(r.environmentNames.map((name) => [name, 'v'])),
            };
            const messageId = freshMessageId('bounds-req');
            before = jobNames(stack);
            const requested = await observe(stack, () =>
              stack.deliver(
                'onJobRequest',
                {
                  data: JSON.stringify(request),
                  messageId: r.longMessageId ? messageId.padEnd(256, 'm') : messageId,
                },
                how,
              ),
            );
            expectNoServerError(requested);
            expect(requested.events.length).toBeGreaterThan(0); // launched or rejected, never silence
            created.push(...expectLaunchedForEveryJob(stack, before, requested));

            for (const name of created) await expectValidCompletion(stack, name);
            jobs += created.length;
          },
        ),
        fuzzParameters(50),
      );
      // The property launched jobs (images with huge annotations or layer types do launch).
      expect(jobs).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(120_000),
  );
});

describe('regressions: long manifest strings in auto mode', () => {
  async function pushAndDeliver(image: BuiltImage, repo: string): Promise<Observation> {
    const stack = fuzz().stack;
    const notice = await push(stack, image, repo, 'v1');
    return observe(stack, () =>
      stack.deliver('onImagePush', { data: notice, messageId: freshMessageId('bounds-reg') }, 'push'),
    );
  }

  it('a 3,000-character layer media type: the job is created and its job.launched is published', async () => {
    const base = buildImage([await makeLayer({ 'r.txt': 'layer-type' })], { format: 'oci' });
    const before = jobNames(fuzz().stack);
    const o = await pushAndDeliver(
      noisyImage(base, { layerTypeSuffix: 'z'.repeat(3_000) }),
      'long-layer-type',
    );
    expect(o.status).toBe(204);
    expect(o.createCalls).toBe(1);
    expect(o.events.map((e) => e.type)).toEqual([EVENT_TYPES.launched]);
    const data = o.events[0]!.data as { streaming: { enabled: boolean; reasons: Array<{ code: string }> } };
    expect(data.streaming.enabled).toBe(false);
    expect(data.streaming.reasons.map((r) => r.code)).toContain('UNSUPPORTED_LAYER_MEDIATYPE');
    expect(expectLaunchedForEveryJob(fuzz().stack, before, o)).toHaveLength(1);
  });

  it('a 3,000-character artifactType, pushed or requested in auto mode: valid events, no job without job.launched', async () => {
    const stack = fuzz().stack;
    const base = buildImage([await makeLayer({ 'r.txt': 'artifact' })], { format: 'oci' });
    const image = noisyImage(base, { artifactType: `application/vnd.example+${'a'.repeat(3_000)}` });
    let before = jobNames(stack);
    const pushed = await pushAndDeliver(image, 'long-artifact-type');
    expectNoServerError(pushed);
    expectLaunchedForEveryJob(stack, before, pushed);

    before = jobNames(stack);
    const request = {
      apiVersion: 'streamgate/v1',
      image: `${REGISTRY_HOST}/${PROJECT}/apps/long-artifact-type:v1`,
      streaming: 'auto',
    };
    const requested = await observe(stack, () =>
      stack.deliver('onJobRequest', {
        data: JSON.stringify(request),
        messageId: freshMessageId('bounds-art'),
      }),
    );
    expect(requested.status).toBe(204);
    expect(requested.events).toHaveLength(1); // job.launched or request.rejected, and it decoded
    expectLaunchedForEveryJob(stack, before, requested);
    const reasons = (
      requested.events[0]!.data as { streaming?: { reasons: Array<{ code: string; message: string }> } }
    ).streaming?.reasons;
    const notAnImage = reasons?.find((r) => r.code === 'NOT_AN_IMAGE');
    expect(notAnImage?.message).toContain('point imageUri at the image itself');
  });
});
