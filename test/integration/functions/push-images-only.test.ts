/**
 * Only images launch, one job per pushed tag: what real clients push into the local stack (skopeo
 * copying a multi-platform index, a cosign-style signature; Helm charts and OCI artifacts through
 * the Distribution API) goes through the registry stand-in's own `gcr` notifications, delivered
 * in order to onImagePush; requests for an artifact are refused with NOT_AN_IMAGE in auto mode.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../../infra/local/registry/storage.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';
import {
  addOciIndex,
  buildUmociImage,
  describeSkopeoUmociTier,
  newOciLayout,
  skopeoCopy,
  type OciLayout,
} from '../../helpers/skopeo-umoci.js';
import { PROJECT, REGISTRY_HOST, startStack, type Stack } from '../../helpers/stack-harness.js';

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let stack: Stack;
let pusher: Pusher;

beforeAll(async () => {
  stack = await startStack();
  pusher = new Pusher(stack.standIns.registry.url);
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

/** Runs `push`, then delivers every `gcr` message it caused, in order; returns their message ids. */
async function pushAndDeliver(push: () => Promise<unknown>): Promise<string[]> {
  const topic = stack.standIns.gcrTopic;
  const before = stack.standIns.pubsub.published(topic).length;
  await push();
  await stack.standIns.pushesSettled();
  const messages = stack.standIns.pubsub.published(topic).slice(before);
  for (const message of messages) {
    const res = await stack.deliver(
      'onImagePush',
      { data: message.data, messageId: message.messageId },
      'push',
    );
    expect(res.status).toBe(204);
  }
  return messages.map((m) => m.messageId);
}

/** Every event (launched or rejected) whose correlation id is one of `ids`. */
function eventsFor(ids: readonly string[]) {
  return [...stack.events(EVENT_TYPES.launched), ...stack.events(EVENT_TYPES.rejected)].filter((e) =>
    ids.includes(e.data.correlationId),
  );
}

/** Jobs whose container runs an image of `repository` (HOST/PATH). */
function jobsOf(repository: string) {
  return stack.standIns.batch
    .jobs()
    .filter((job) =>
      job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.imageUri?.startsWith(`${repository}@`),
    );
}

/** Uploads blobs and an image-shaped manifest (a chart or an artifact) under `tag`. */
async function pushManifest(path: string, manifest: object, blobs: Buffer[], tag: string): Promise<string> {
  for (const blob of blobs) await pusher.pushBlob(`${PROJECT}/${path}`, sha256Digest(blob), blob);
  return pusher.pushManifest(`${PROJECT}/${path}`, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST, tag);
}

const descriptor = (mediaType: string, blob: Buffer) => ({
  mediaType,
  digest: sha256Digest(blob),
  size: blob.byteLength,
});

async function helmChart(): Promise<{ manifest: object; blobs: Buffer[] }> {
  const config = Buffer.from(JSON.stringify({ apiVersion: 'v2', name: 'demo', version: '0.1.0' }));
  const chart = (await makeLayer({ 'demo/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n' })).blob;
  return {
    manifest: {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor(HELM_CONFIG, config),
      layers: [descriptor(HELM_CHART, chart)],
    },
    blobs: [config, chart],
  };
}

describe('push: what is not an image to run launches nothing and publishes nothing', () => {
  it('ignores a Helm chart pushed under a version tag', async () => {
    const creates = stack.standIns.batch.createCalls();
    const { manifest, blobs } = await helmChart();
    const ids = await pushAndDeliver(() => pushManifest('apps/charts/demo', manifest, blobs, '0.1.0'));
    expect(ids).toHaveLength(1);
    expect(stack.standIns.batch.createCalls()).toBe(creates);
    expect(eventsFor(ids)).toEqual([]);
  });

  it('ignores an OCI artifact (artifactType, empty config) pushed under a tag', async () => {
    const creates = stack.standIns.batch.createCalls();
    const empty = Buffer.from('{}');
    const sbom = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'web' }));
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/spdx+json',
      config: descriptor('application/vnd.oci.empty.v1+json', empty),
      layers: [descriptor('application/spdx+json', sbom)],
    };
    const ids = await pushAndDeliver(() => pushManifest('apps/sbom', manifest, [empty, sbom], 'sbom-1'));
    expect(stack.standIns.batch.createCalls()).toBe(creates);
    expect(eventsFor(ids)).toEqual([]);
  });

  it("ignores cosign's .sig, .att and .sbom tags without reading the registry", async () => {
    const image = buildImage([await makeLayer({ 'c.txt': 'cosign' })]);
    const hex = image.digest.slice('sha256:'.length);
    const creates = stack.standIns.batch.createCalls();
    for (const suffix of ['sig', 'att', 'sbom']) {
      const ids = await pushAndDeliver(() =>
        pusher.pushImage(`${PROJECT}/apps/cosigned`, image, `sha256-${hex}.${suffix}`),
      );
      expect(eventsFor(ids)).toEqual([]);
    }
    // The tag alone decides, so a redelivery reads nothing either.
    const requests = stack.standIns.registry.requests;
    const tag = `${REGISTRY_HOST}/${PROJECT}/apps/cosigned:sha256-${hex}.sig`;
    const notice = JSON.stringify({
      action: 'INSERT',
      digest: `${REGISTRY_HOST}/${PROJECT}/apps/cosigned@${image.digest}`,
      tag,
    });
    expect(
      (await stack.deliver('onImagePush', { data: notice, messageId: 'cosign-redelivered' })).status,
    ).toBe(204);
    expect(stack.standIns.registry.requests).toBe(requests);
    expect(stack.standIns.batch.createCalls()).toBe(creates);
  });

  it('ignores an untagged push unless the rule sets "untagged": true', async () => {
    const image = buildImage([await makeLayer({ 'u.txt': 'untagged' })]);
    const creates = stack.standIns.batch.createCalls();
    const apps = await pushAndDeliver(() => pusher.pushImage(`${PROJECT}/apps/untagged`, image));
    expect(stack.standIns.batch.createCalls()).toBe(creates);
    expect(eventsFor(apps)).toEqual([]);

    const nightly = await pushAndDeliver(() => pusher.pushImage(`${PROJECT}/nightly/build`, image));
    const jobs = jobsOf(`${REGISTRY_HOST}/${PROJECT}/nightly/build`);
    expect(jobs).toHaveLength(1);
    expect(eventsFor(nightly).map((e) => [e.type, e.data.rule])).toEqual([[EVENT_TYPES.launched, 'nightly']]);
  });
});

describe('requests for what is not an image are refused in auto mode (NOT_AN_IMAGE)', () => {
  const chartImage = `${REGISTRY_HOST}/${PROJECT}/charts/refused:0.2.0`;

  beforeAll(async () => {
    const { manifest, blobs } = await helmChart();
    await pushManifest('charts/refused', manifest, blobs, '0.2.0');
    await stack.standIns.pushesSettled();
  });

  it('webhook: 422 problem with NOT_AN_IMAGE, no job', async () => {
    const creates = stack.standIns.batch.createCalls();
    const res = await stack.webhook('/jobs', {
      apiVersion: 'streamgate/v1',
      image: chartImage,
      streaming: 'auto',
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { code: string };
    expect(problem.code).toBe('NOT_AN_IMAGE');
    expect(stack.standIns.batch.createCalls()).toBe(creates);
  });

  it('Pub/Sub: request.rejected with NOT_AN_IMAGE, no job', async () => {
    const creates = stack.standIns.batch.createCalls();
    const data = JSON.stringify({ apiVersion: 'streamgate/v1', image: chartImage, streaming: 'auto' });
    const res = await stack.deliver('onJobRequest', { data, messageId: 'chart-request-1' });
    expect(res.status).toBe(204);
    expect(stack.standIns.batch.createCalls()).toBe(creates);
    expect(eventsFor(['chart-request-1']).map((e) => e.type)).toEqual([EVENT_TYPES.rejected]);
    const [rejected] = stack
      .events(EVENT_TYPES.rejected)
      .filter((e) => e.data.correlationId === 'chart-request-1');
    expect(rejected!.data.reasons.map((r) => r.code)).toEqual(['NOT_AN_IMAGE']);
  });
});

describeSkopeoUmociTier('push from skopeo: one job per pushed tag', () => {
  let layout: OciLayout;

  beforeAll(async () => {
    layout = await newOciLayout();
  }, 60_000);
  afterAll(async () => {
    await layout?.remove();
  });

  const destination = (path: string, tag: string) =>
    `docker://${new URL(stack.standIns.registry.url).host}/${PROJECT}/${path}:${tag}`;

  it('skopeo copy --all of a 2-platform index gives exactly one job, judged on the amd64 child', async () => {
    const amd64 = await buildUmociImage(layout, 'amd64', { files: { '/p.txt': 'amd64\n' } });
    await buildUmociImage(layout, 'arm64', { files: { '/p.txt': 'arm64\n' }, architecture: 'arm64' });
    const index = await addOciIndex(layout, 'multi', ['amd64', 'arm64']);
    const ids = await pushAndDeliver(() =>
      skopeoCopy(index.ref, destination('apps/multi', 'v1'), { all: true }),
    );
    // The two children by digest, then the tagged index.
    expect(ids).toHaveLength(3);

    const jobs = jobsOf(`${REGISTRY_HOST}/${PROJECT}/apps/multi`);
    expect(jobs).toHaveLength(1);
    const events = eventsFor(ids);
    expect(events.map((e) => e.type)).toEqual([EVENT_TYPES.launched]);
    const launched = stack.events(EVENT_TYPES.launched).find((e) => ids.includes(e.data.correlationId))!;
    expect(launched.data.correlationId).toBe(ids[2]);
    expect(launched.data.image.digest).toBe(index.manifestDigest);
    expect(launched.data.streaming.platformDigest).toBe(amd64.manifestDigest);
  }, 120_000);

  it('a signature-like artifact pushed under sha256-<hex>.sig gives no job and no event', async () => {
    const signed = await buildUmociImage(layout, 'signed', { files: { '/s.txt': 'signed\n' } });
    const tag = `sha256-${signed.manifestDigest.slice('sha256:'.length)}.sig`;
    await addSignature(layout, tag, signed.manifestDigest);
    const creates = stack.standIns.batch.createCalls();
    const ids = await pushAndDeliver(() =>
      skopeoCopy(`oci:${layout.dir}:${tag}`, destination('apps/signed', tag)),
    );
    expect(ids).toHaveLength(1);
    expect(stack.standIns.batch.createCalls()).toBe(creates);
    expect(eventsFor(ids)).toEqual([]);
  }, 120_000);
});

/**
 * Writes what `cosign sign` pushes (its simple-signing payload as the one layer, an image config)
 * into the layout under `tag`: umoci builds only images, so the manifest is written by hand.
 */
async function addSignature(layout: OciLayout, tag: string, signedDigest: string): Promise<void> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${REGISTRY_HOST}/${PROJECT}/apps/signed` },
        image: { 'docker-manifest-digest': signedDigest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      os: '',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256Digest(payload)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: [
        {
          ...descriptor('application/vnd.dev.cosign.simplesigning.v1+json', payload),
          annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQDfake' },
        },
      ],
    }),
  );
  const blobDir = join(layout.dir, 'blobs', 'sha256');
  for (const blob of [payload, config, manifest]) {
    await writeFile(join(blobDir, sha256Digest(blob).slice('sha256:'.length)), blob);
  }
  const indexPath = join(layout.dir, 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: object[] };
  index.manifests.push({
    ...descriptor(OCI_MANIFEST, manifest),
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  await writeFile(indexPath, JSON.stringify(index));
}
