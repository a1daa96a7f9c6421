/**
 * Contract tier: the registry client and resolver against the real Debian `docker-registry`
 * (distribution 2.8), with images this test builds and pushes itself, judged by the core.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RegistryClient } from '../../../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../../../shared/adapters/registry/image-resolver.js';
import { judge } from '../../../shared/core/eligibility.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { DEFAULT_PLATFORM } from '../../../shared/core/platform.js';
import {
  describeDockerRegistryTier,
  startDockerRegistry,
  type RunningDockerRegistry,
} from '../../helpers/docker-registry.js';
import {
  buildImage,
  buildIndex,
  emptyGzipLayer,
  GZIPPED_EMPTY_TAR,
  makeLayer,
  Pusher,
  sha256,
  type BuiltImage,
} from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';

describeDockerRegistryTier('real docker-registry 2.8: push, resolve, judge', () => {
  let registry: RunningDockerRegistry;
  let resolver: RegistryImageResolver;
  const images: Record<string, { image?: BuiltImage; digest: string; amd64?: BuiltImage }> = {};

  beforeAll(async () => {
    registry = await startDockerRegistry();
    const pusher = new Pusher(registry.url);
    const base = await makeLayer({ 'etc/os-release': 'ID=streamgate\n' });
    const app = await makeLayer({ 'app/run.sh': '#!/bin/sh\necho hi\n' });

    const docker = buildImage([base, app], { format: 'docker' });
    images.docker = { image: docker, digest: await pusher.pushImage('p/r/docker', docker, 'v1') };

    const oci = buildImage([base, await makeLayer({ 'oci.txt': 'oci' })], { format: 'oci' });
    images.oci = { image: oci, digest: await pusher.pushImage('p/r/oci', oci, 'v1', { chunkSize: 50 }) };

    const amd64 = buildImage([base, await makeLayer({ 'arch.txt': 'amd64' })], { format: 'oci' });
    const arm64 = buildImage([base, await makeLayer({ 'arch.txt': 'arm64' })], {
      format: 'oci',
      architecture: 'arm64',
    });
    await pusher.pushImage('p/r/multi', arm64);
    await pusher.pushImage('p/r/multi', amd64);
    const index = buildIndex([arm64, amd64], 'oci');
    images.multi = {
      digest: await pusher.pushManifest('p/r/multi', index.manifest, index.mediaType, 'v1'),
      amd64,
    };

    const empty = buildImage([base, emptyGzipLayer(), app], { format: 'docker' });
    images.empty = { image: empty, digest: await pusher.pushImage('p/r/empty', empty, 'v1') };

    const duplicate = buildImage([base, app, base], { format: 'docker' });
    images.duplicate = {
      image: duplicate,
      digest: await pusher.pushImage('p/r/duplicate', duplicate, 'v1'),
    };

    resolver = new RegistryImageResolver(
      new RegistryClient({
        overrides: new Map([[HOST, registry.url]]),
        accessToken: async () => undefined,
        retry: { attempts: 2, baseDelayMs: 5 },
      }),
    );
  });
  afterAll(async () => registry?.stop());

  async function verdictFor(name: string) {
    const resolved = await resolver.resolve(parseImageReference(`${HOST}/p/r/${name}:v1`), DEFAULT_PLATFORM);
    const report = judge({
      manifest: resolved.manifest,
      digest: resolved.digest,
      manifests: resolved.manifests,
      config: resolved.config,
      platform: DEFAULT_PLATFORM,
    });
    return { resolved, report };
  }

  it('the empty layer is the exact 32-byte gzip from distribution (sha256:a3ed95…)', () => {
    expect(GZIPPED_EMPTY_TAR).toHaveLength(32);
    expect(sha256(GZIPPED_EMPTY_TAR)).toBe(
      'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
    );
  });

  it('Docker schema 2 image: resolved by tag to the pushed digest and eligible', async () => {
    const { resolved, report } = await verdictFor('docker');
    expect(resolved.digest).toBe(images.docker?.image?.digest);
    expect(resolved.manifest.contentType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect((resolved.config as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids).toHaveLength(2);
    expect(report.verdict).toBe('eligible');
    expect(report.reasons).toEqual([]);
  });

  it('OCI image (chunked upload): eligible', async () => {
    const { resolved, report } = await verdictFor('oci');
    expect(resolved.digest).toBe(images.oci?.image?.digest);
    expect(resolved.manifest.contentType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(report.verdict).toBe('eligible');
  });

  it('two-platform index: eligible through the linux/amd64 child', async () => {
    const { resolved, report } = await verdictFor('multi');
    expect(resolved.digest).toBe(images.multi?.digest);
    expect(resolved.platformDigest).toBe(images.multi?.amd64?.digest);
    expect(report.verdict).toBe('eligible');
    expect(report.platformDigest).toBe(images.multi?.amd64?.digest);
  });

  it('image with the gzip empty layer: ineligible, EMPTY_LAYER', async () => {
    const { report } = await verdictFor('empty');
    expect(report.verdict).toBe('ineligible');
    expect(report.reasons.map((r) => r.code)).toContain('EMPTY_LAYER');
  });

  it('image with a duplicated layer: ineligible, DUPLICATE_LAYER', async () => {
    const { report } = await verdictFor('duplicate');
    expect(report.verdict).toBe('ineligible');
    expect(report.reasons.map((r) => r.code)).toContain('DUPLICATE_LAYER');
  });

  it('an unknown tag is IMAGE_NOT_FOUND from the real registry', async () => {
    await expect(
      resolver.resolve(parseImageReference(`${HOST}/p/r/docker:missing`), DEFAULT_PLATFORM),
    ).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', kind: 'permanent' });
  });
});
