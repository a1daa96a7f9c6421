/**
 * Real third-party clients against the local stack: umoci builds OCI images, skopeo pushes,
 * inspects, lists and deletes them in the registry stand-in (with Artifact Registry-style token
 * auth), and every push and delete is announced on `gcr` as Artifact Registry announces it.
 * The same client calls run against Debian's docker-registry, the reference implementation.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStandIns, type StandIns } from '../../../infra/local/standins.js';
import {
  describeDockerRegistryTier,
  startDockerRegistry,
  type RunningDockerRegistry,
} from '../../helpers/docker-registry.js';
import {
  addOciIndex,
  buildUmociImage,
  describeSkopeoUmociTier,
  newOciLayout,
  skopeoCopy,
  skopeoDelete,
  skopeoInspect,
  skopeoListTags,
  type LayoutImage,
  type OciLayout,
  type SkopeoAuth,
} from '../../helpers/skopeo-umoci.js';

const HOST = 'us-central1-docker.pkg.dev';
const auth: SkopeoAuth = { accessToken: 'local-access-token' };
const AR_IMAGES = 'projects/demo-project/locations/us-central1/repositories/apps/dockerImages';

describeSkopeoUmociTier('skopeo and umoci against the local stack', () => {
  let standIns: StandIns;
  let layout: OciLayout;
  let amd: LayoutImage;
  let arm: LayoutImage;
  let index: LayoutImage;
  let base = '';

  const gcrMessages = (): unknown[] =>
    standIns.pubsub.published(standIns.gcrTopic).map((m) => JSON.parse(m.data.toString('utf8')) as unknown);

  beforeAll(async () => {
    standIns = await startStandIns({ registryAuth: auth });
    base = `docker://${standIns.registry.url.replace('http://', '')}/demo-project/apps`;
    layout = await newOciLayout();
    amd = await buildUmociImage(layout, 'amd', {
      files: { '/app/run.sh': 'echo amd64\n' },
      entrypoint: '/app/run.sh',
    });
    arm = await buildUmociImage(layout, 'arm', { architecture: 'arm64' });
    index = await addOciIndex(layout, 'multi', ['amd', 'arm']);
  }, 120_000);
  afterAll(async () => {
    await layout?.remove();
    await standIns?.close();
  });

  it('refuses a push without credentials (the registry wants an Artifact Registry token)', async () => {
    await expect(skopeoCopy(amd.ref, `${base}/web:denied`)).rejects.toThrow(
      /unauthorized|401|authentication/i,
    );
  }, 60_000);

  it('skopeo copy pushes a umoci image; gcr gets the INSERT and the AR API lists it', async () => {
    await skopeoCopy(amd.ref, `${base}/web:v1`, { auth });
    await standIns.pushesSettled();
    expect(gcrMessages()).toContainEqual({
      action: 'INSERT',
      digest: `${HOST}/demo-project/apps/web@${amd.manifestDigest}`,
      tag: `${HOST}/demo-project/apps/web:v1`,
    });
    expect(standIns.artifactRegistry.getDockerImage(`${AR_IMAGES}/web@${amd.manifestDigest}`)?.tags).toEqual([
      'v1',
    ]);
  }, 60_000);

  it('skopeo inspect summarises it (this reads tags/list) and --raw gives the manifest', async () => {
    const summary = (await skopeoInspect(`${base}/web:v1`, { auth })) as Record<string, unknown>;
    expect(summary).toMatchObject({
      Digest: amd.manifestDigest,
      Architecture: 'amd64',
      Os: 'linux',
      RepoTags: ['v1'],
    });
    const raw = (await skopeoInspect(`${base}/web:v1`, { auth, raw: true })) as { layers: unknown[] };
    expect(raw.layers).toHaveLength(1);
  }, 60_000);

  it('skopeo list-tags lists every tag of the repository', async () => {
    await skopeoCopy(amd.ref, `${base}/web:v2`, { auth });
    await skopeoCopy(arm.ref, `${base}/web:arm`, { auth });
    expect(await skopeoListTags(`${base}/web`, { auth })).toEqual(['arm', 'v1', 'v2']);
  }, 60_000);

  it('skopeo delete removes the manifest and its tags; gcr gets the DELETE and AR forgets it', async () => {
    await standIns.pushesSettled();
    const before = gcrMessages().length;
    await skopeoDelete(`${base}/web:v1`, { auth });
    await standIns.pushesSettled();
    expect(gcrMessages().slice(before)).toEqual([
      { action: 'DELETE', digest: `${HOST}/demo-project/apps/web@${amd.manifestDigest}` },
    ]);
    expect(
      standIns.artifactRegistry.getDockerImage(`${AR_IMAGES}/web@${amd.manifestDigest}`),
    ).toBeUndefined();
    // v1 and v2 named the same manifest: a manifest delete takes both tags with it.
    expect(await skopeoListTags(`${base}/web`, { auth })).toEqual(['arm']);
    await expect(skopeoInspect(`${base}/web:v1`, { auth, raw: true })).rejects.toThrow(
      /manifest unknown|not found/i,
    );
  }, 60_000);

  it('an untag (DELETE by tag) announces the tag alone; AR keeps the image without that tag', async () => {
    await skopeoCopy(arm.ref, `${base}/tool:keep`, { auth });
    await skopeoCopy(arm.ref, `${base}/tool:drop`, { auth });
    await standIns.pushesSettled();
    const before = gcrMessages().length;
    const url = standIns.registry.url;
    const basic = Buffer.from(`oauth2accesstoken:${auth.accessToken}`).toString('base64');
    const scope = encodeURIComponent('repository:demo-project/apps/tool:*');
    const grant = await fetch(`${url}/v2/token?scope=${scope}`, {
      headers: { Authorization: `Basic ${basic}` },
    });
    const { token } = (await grant.json()) as { token: string };
    const res = await fetch(`${url}/v2/demo-project/apps/tool/manifests/drop`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(202);
    await standIns.pushesSettled();
    expect(gcrMessages().slice(before)).toEqual([
      { action: 'DELETE', tag: `${HOST}/demo-project/apps/tool:drop` },
    ]);
    expect(standIns.artifactRegistry.getDockerImage(`${AR_IMAGES}/tool@${arm.manifestDigest}`)?.tags).toEqual(
      ['keep'],
    );
    expect(await skopeoListTags(`${base}/tool`, { auth })).toEqual(['keep']);
  }, 60_000);

  it('skopeo copy --all of a 2-platform index pushes both children by digest, then the tagged index', async () => {
    await standIns.pushesSettled();
    const before = gcrMessages().length;
    await skopeoCopy(index.ref, `${base}/multi:v1`, { auth, all: true });
    await standIns.pushesSettled();
    expect(gcrMessages().slice(before)).toEqual([
      { action: 'INSERT', digest: `${HOST}/demo-project/apps/multi@${amd.manifestDigest}` },
      { action: 'INSERT', digest: `${HOST}/demo-project/apps/multi@${arm.manifestDigest}` },
      {
        action: 'INSERT',
        digest: `${HOST}/demo-project/apps/multi@${index.manifestDigest}`,
        tag: `${HOST}/demo-project/apps/multi:v1`,
      },
    ]);
    const raw = (await skopeoInspect(`${base}/multi:v1`, { auth, raw: true })) as {
      manifests: { platform: { architecture: string } }[];
    };
    expect(raw.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
  }, 60_000);

  describeDockerRegistryTier('the same skopeo calls against Debian docker-registry', () => {
    let registry: RunningDockerRegistry;
    beforeAll(async () => {
      registry = await startDockerRegistry();
    }, 30_000);
    afterAll(async () => registry?.stop());

    it('pushes, inspects, lists and deletes as against the stand-in', async () => {
      const repo = `docker://127.0.0.1:${registry.port}/demo-project/apps/web`;
      await skopeoCopy(amd.ref, `${repo}:v1`);
      await skopeoCopy(arm.ref, `${repo}:arm`);
      // distribution 2.8 lists tags in storage order; the v1.1 spec's lexical order came later.
      expect((await skopeoListTags(repo)).sort()).toEqual(['arm', 'v1']);
      const summary = (await skopeoInspect(`${repo}:v1`)) as { Digest: string; RepoTags: string[] };
      expect(summary.Digest).toBe(amd.manifestDigest);
      expect(summary.RepoTags.sort()).toEqual(['arm', 'v1']);
      await skopeoDelete(`${repo}:v1`);
      expect(await skopeoListTags(repo)).toEqual(['arm']);
    }, 90_000);
  });
});
