import { describe, expect, it } from 'vitest';
import type { StreamgateConfigInput } from '../../../shared/core/config.js';
import { toLaunchRequest, type JobRequestV1 } from '../../../shared/core/request.js';
import type { PipelineDeps } from '../../../shared/pipeline/deps.js';
import { planLaunch } from '../../../shared/pipeline/plan.js';
import { memoryPorts, refusingPorts, TEST_DIGEST as DIGEST } from '../../helpers/memory-ports.js';

/**
 * planLaunch's decisions with in-memory ports (our own interfaces, not Google clients): what runs
 * where, with or without streaming, and what is refused before anything is created.
 */

const layer = (n: number) => ({
  mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 1000 + n,
});
const manifest = (layers: unknown[]) => ({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    digest: `sha256:${'c'.repeat(64)}`,
    size: 100,
  },
  layers,
});
const ELIGIBLE = manifest([layer(1), layer(2)]);
const DUPLICATED = manifest([layer(1), layer(1)]);

/** In-memory registry and facts; Batch and Pub/Sub refuse, since planning creates nothing. */
function deps(document: unknown, config: Partial<StreamgateConfigInput> = {}, format = 'DOCKER') {
  const ports = memoryPorts({ config, document, facts: { format, mode: 'STANDARD' } });
  const value: PipelineDeps = { ...ports.deps, ...refusingPorts('planLaunch') };
  return { deps: value, resolved: ports.images.references, images: ports.images };
}

const request = (fields: Partial<JobRequestV1>) =>
  toLaunchRequest(
    { apiVersion: 'streamgate/v1', image: 'us-central1-docker.pkg.dev/demo-project/apps/web:1', ...fields },
    { source: 'webhook', idempotencyKey: 'key-1', correlationId: 'corr-1' },
  );

describe('planLaunch', () => {
  it('streams an eligible image in its own region, pinned to the resolved digest', async () => {
    const { deps: d } = deps(ELIGIBLE);
    const result = await planLaunch(request({}), d);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const container = result.planned.plan.job.taskGroups[0]!.taskSpec.runnables[0]!.container;
    expect(result.planned.jobRegion).toBe('us-central1');
    expect(container.enableImageStreaming).toBe(true);
    expect(container.imageUri).toBe(`us-central1-docker.pkg.dev/demo-project/apps/web@${DIGEST}`);
    expect(result.planned.plan.parent).toBe('projects/demo-project/locations/us-central1');
  });

  it('runs an ineligible image without streaming in auto mode, and refuses it in require mode', async () => {
    const { deps: d } = deps(DUPLICATED);
    const auto = await planLaunch(request({}), d);
    expect(auto.ok && auto.planned.streaming).toMatchObject({ enabled: false, verdict: 'ineligible' });
    const required = await planLaunch(request({ streaming: 'require' }), d);
    expect(required.ok).toBe(false);
    if (required.ok) return;
    expect(required.category).toBe('ineligible');
    expect(required.reasons.map((r) => r.code)).toEqual(['INELIGIBLE_IMAGE', 'DUPLICATE_LAYER']);
  });

  it('refuses the non-streaming fallback when the policy forbids it', async () => {
    const { deps: d } = deps(DUPLICATED, { policy: { allowNonStreamingFallback: false } });
    const result = await planLaunch(request({}), d);
    expect(!result.ok && result.reasons[0]?.code).toBe('POLICY_STREAMING_FALLBACK');
    // `off` is an explicit choice, not a fallback.
    expect((await planLaunch(request({ streaming: 'off' }), d)).ok).toBe(true);
  });

  it('says why when streaming is off for an eligible image', async () => {
    const { deps: d } = deps(ELIGIBLE);
    const result = await planLaunch(request({ streaming: 'off' }), d);
    expect(result.ok && result.planned.streaming.enabled).toBe(false);
    expect(result.ok && result.planned.streaming.warnings.map((w) => w.code)).toContain(
      'STREAMING_DISABLED_BY_REQUEST',
    );
  });

  it('runs in an explicitly requested other region without streaming (LOCATION_MISMATCH)', async () => {
    const { deps: d } = deps(ELIGIBLE);
    const result = await planLaunch(request({ region: 'us-east1' }), d);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.planned.jobRegion).toBe('us-east1');
    expect(result.planned.streaming.enabled).toBe(false);
    expect(result.planned.streaming.reasons.map((r) => r.code)).toEqual(['LOCATION_MISMATCH']);
    expect(result.planned.plan.job.allocationPolicy.location.allowedLocations).toEqual(['regions/us-east1']);
  });

  it('refuses an image whose region has no Batch when no region is requested', async () => {
    const { deps: d } = deps(ELIGIBLE);
    const result = await planLaunch(
      request({ image: 'northamerica-south1-docker.pkg.dev/demo-project/apps/web:1' }),
      d,
    );
    expect(!result.ok && result.reasons.map((r) => r.code)).toEqual(['REGION_NOT_SUPPORTED']);
  });

  it('never reads an image outside Artifact Registry: ineligible, and the region must be named', async () => {
    const { deps: d, resolved } = deps(ELIGIBLE);
    const withRegion = await planLaunch(
      request({ image: 'docker.io/library/ubuntu:24.04', region: 'us-central1' }),
      d,
    );
    expect(withRegion.ok).toBe(true);
    if (!withRegion.ok) return;
    expect(withRegion.planned.streaming).toMatchObject({ enabled: false, verdict: 'ineligible' });
    expect(withRegion.planned.report.reasons.map((r) => r.code)).toEqual(['NOT_ARTIFACT_REGISTRY']);
    expect(withRegion.planned.digest).toBeUndefined();
    expect(withRegion.planned.imageUri).toBe('docker.io/library/ubuntu:24.04');
    const withoutRegion = await planLaunch(request({ image: 'docker.io/library/ubuntu:24.04' }), d);
    expect(!withoutRegion.ok && withoutRegion.reasons[0]?.code).toBe('INVALID_REQUEST');
    expect(resolved).toEqual([]);
  });

  it('checks the repository policy before reading the image, and the region policy after choosing it', async () => {
    const { deps: d, resolved } = deps(ELIGIBLE, {
      policy: { allowedRepositories: ['us-central1-docker.pkg.dev/other/**'], allowedRegions: ['us-east1'] },
    });
    const repository = await planLaunch(request({}), d);
    expect(!repository.ok && repository.category).toBe('policy');
    expect(resolved).toEqual([]);
    const { deps: d2 } = deps(ELIGIBLE, { policy: { allowedRegions: ['europe-*'] } });
    const region = await planLaunch(request({}), d2);
    expect(!region.ok && region.reasons.map((r) => r.code)).toEqual(['POLICY_REGION']);
  });

  describe('refuses what is not an image in every streaming mode (NOT_AN_IMAGE, category image)', () => {
    const artifact = { ...ELIGIBLE, artifactType: 'application/vnd.example.sbom+json' };
    const helm = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: DIGEST, size: 120 },
      layers: [{ ...layer(3), mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }],
    };
    const cases = [
      { name: 'an artifact (artifactType)', document: artifact, format: 'DOCKER' },
      { name: 'a Helm chart', document: helm, format: 'DOCKER' },
      { name: 'an image-shaped manifest in a MAVEN repository', document: ELIGIBLE, format: 'MAVEN' },
    ];
    for (const { name, document, format } of cases) {
      for (const streaming of ['auto', 'off', 'require'] as const) {
        it(`${name}, streaming ${streaming}`, async () => {
          const { deps: d } = deps(document, {}, format);
          const result = await planLaunch(request({ streaming }), d);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.category).toBe('image');
          expect(result.reasons.map((r) => r.code)).toEqual(['NOT_AN_IMAGE']);
          expect(result.report?.verdict).toBe('ineligible');
        });
      }
    }
  });
});

describe('planLaunch: the job platform follows the machine type (NO_MATCHING_PLATFORM)', () => {
  const ARM64_CONFIG = { architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };

  /** deps() whose resolver also hands back an image config and records the platform asked for. */
  function platformDeps(imageConfig: unknown, config: Partial<StreamgateConfigInput> = {}) {
    const { deps: d, images } = deps(ELIGIBLE, config);
    images.imageConfig = imageConfig;
    return { deps: d, platforms: images.platforms };
  }

  for (const streaming of ['auto', 'off', 'require'] as const) {
    it(`refuses an arm64 image on the default linux/amd64 machines, streaming ${streaming}`, async () => {
      const { deps: d, platforms } = platformDeps(ARM64_CONFIG);
      const result = await planLaunch(request({ streaming }), d);
      expect(platforms).toEqual(['linux/amd64']);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.category).toBe('image');
      expect(result.reasons.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);
    });
  }

  it('streams the arm64 image on an Arm machine type (t2a, c4a), resolved and judged for linux/arm64', async () => {
    for (const machineType of ['t2a-standard-2', 'c4a-standard-4']) {
      const { deps: d, platforms } = platformDeps(ARM64_CONFIG);
      const result = await planLaunch(request({ machineType }), d);
      expect(platforms).toEqual(['linux/arm64']);
      expect(result.ok && result.planned.streaming.enabled).toBe(true);
      expect(result.ok && result.planned.plan.job.allocationPolicy.instances[0]?.policy.machineType).toBe(
        machineType,
      );
    }
  });

  it('the machine type decides over config platform; config platform decides without one', async () => {
    const amd64 = { architecture: 'amd64', os: 'linux' };
    const onArm = platformDeps(amd64, { platform: 'linux/arm64' });
    const refused = await planLaunch(request({}), onArm.deps);
    expect(onArm.platforms).toEqual(['linux/arm64']);
    expect(!refused.ok && refused.reasons.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);
    const withMachine = platformDeps(amd64, { platform: 'linux/arm64' });
    expect((await planLaunch(request({ machineType: 'n2-standard-4' }), withMachine.deps)).ok).toBe(true);
    expect(withMachine.platforms).toEqual(['linux/amd64']);
  });

  it('judges against the request platform, variant included, and refuses one that contradicts the machine', async () => {
    const v9 = { ...ARM64_CONFIG, variant: 'v9' };
    const onV8 = platformDeps(v9);
    const refused = await planLaunch(request({ machineType: 'c4a-standard-4' }), onV8.deps);
    expect(!refused.ok && refused.reasons.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);
    const claimed = platformDeps(v9);
    const ok = await planLaunch(
      request({ machineType: 'c4a-standard-4', platform: 'linux/arm64/v9' }),
      claimed.deps,
    );
    expect(ok.ok).toBe(true);
    expect(claimed.platforms).toEqual(['linux/arm64/v9']);
    // A LaunchRequest that skipped toLaunchRequest's check is still refused before any read.
    const contradicting = platformDeps(ARM64_CONFIG);
    const launch = { ...request({ machineType: 'n2-standard-4' }), platform: 'linux/arm64' };
    const invalid = await planLaunch(launch, contradicting.deps);
    expect(!invalid.ok && invalid.category).toBe('invalid');
    expect(!invalid.ok && invalid.reasons[0]?.message).toMatch(/machineType n2-standard-4 runs linux\/amd64/);
    expect(contradicting.platforms).toEqual([]);
  });
});
