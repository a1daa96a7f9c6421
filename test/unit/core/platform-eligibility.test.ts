import { describe, expect, it } from 'vitest';
import { judge, type JudgeInput } from '../../../shared/core/eligibility.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { MEDIA_TYPES } from '../../../shared/core/media-types.js';
import { DEFAULT_PLATFORM, parsePlatform } from '../../../shared/core/platform.js';
import { parseJobRequest, toLaunchRequest } from '../../../shared/core/request.js';

/**
 * The platform of single-platform images: the image config's os/architecture/variant must be a
 * platform the job's machines run (issue 11, point 3).
 */

const D = (c: string) => `sha256:${c.repeat(64)}`;
const OCI_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const layer = (c: string) => ({ mediaType: OCI_GZIP, digest: D(c), size: 5000 });
const image = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.ociConfig as string, digest: D('c'), size: 700 },
  layers: [layer('1'), layer('2')],
};
const configFor = (platform: Record<string, string>) => ({
  ...platform,
  rootfs: { type: 'layers', diff_ids: [D('a'), D('b')] },
});
const ARM64_CONFIG = configFor({ os: 'linux', architecture: 'arm64' });

function run(input: Partial<JudgeInput> & { platform?: ReturnType<typeof parsePlatform> }) {
  const report = judge({ manifest: { document: image }, ...input });
  return { verdict: report.verdict, codes: report.reasons.map((r) => r.code), report };
}

describe('judge: the config platform of a single-platform image', () => {
  it('NO_MATCHING_PLATFORM for an arm64 image on linux/amd64, with an Arm machine type as remedy', () => {
    const { verdict, codes, report } = run({ config: ARM64_CONFIG, platform: DEFAULT_PLATFORM });
    expect(verdict).toBe('ineligible');
    expect(codes).toEqual(['NO_MATCHING_PLATFORM']);
    expect(report.reasons[0]?.message).toMatch(
      /built for linux\/arm64 \(its config\), but the job runs on linux\/amd64; push a linux\/amd64 image.*Arm machine type \(t2a, c4a/,
    );
    // The default platform is linux/amd64 too.
    expect(run({ config: ARM64_CONFIG }).codes).toEqual(['NO_MATCHING_PLATFORM']);
  });

  it('eligible on linux/arm64, with or without the implied v8 variant on either side', () => {
    expect(run({ config: ARM64_CONFIG, platform: parsePlatform('linux/arm64') }).verdict).toBe('eligible');
    const v8 = configFor({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(run({ config: v8, platform: parsePlatform('linux/arm64') }).verdict).toBe('eligible');
    expect(run({ config: ARM64_CONFIG, platform: parsePlatform('linux/arm64/v8') }).verdict).toBe('eligible');
  });

  it('an amd64 image runs on linux/amd64; one built for amd64/v3 asks for a platform that claims v3', () => {
    const amd64 = configFor({ os: 'linux', architecture: 'amd64' });
    expect(run({ config: amd64 }).verdict).toBe('eligible');
    expect(run({ config: amd64, platform: parsePlatform('linux/arm64') }).report.reasons[0]?.message).toMatch(
      /x86 machine type/,
    );
    const v3 = configFor({ os: 'linux', architecture: 'amd64', variant: 'v3' });
    const refused = run({ config: v3 });
    expect(refused.codes).toEqual(['NO_MATCHING_PLATFORM']);
    expect(refused.report.reasons[0]?.message).toMatch(/set the request's platform to linux\/amd64\/v3/);
    expect(run({ config: v3, platform: parsePlatform('linux/amd64/v3') }).verdict).toBe('eligible');
  });

  it('invents no verdict without a config, or with one that names no architecture', () => {
    expect(run({ platform: DEFAULT_PLATFORM }).verdict).toBe('eligible');
    expect(run({ config: configFor({ os: 'linux' }) }).verdict).toBe('eligible');
  });

  it('judges the platform of an artifact not at all (NOT_AN_IMAGE says it all)', () => {
    const artifact = { ...image, artifactType: 'application/vnd.example.sbom' };
    const report = judge({ manifest: { document: artifact }, config: ARM64_CONFIG });
    expect(report.reasons.map((r) => r.code)).toEqual(['NOT_AN_IMAGE']);
  });

  it('checks the config of an index child whose entry declares no platform', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: D('e'), size: 500 }],
    };
    const input: JudgeInput = {
      manifest: { document: index },
      digest: D('f'),
      manifests: new Map([[D('e'), { document: image }]]),
      config: ARM64_CONFIG,
    };
    expect(judge(input).reasons.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);
    expect(judge({ ...input, platform: parsePlatform('linux/arm64') }).verdict).toBe('eligible');
  });

  it('quotes a config architecture of any length within a bound', () => {
    const huge = configFor({ os: 'linux', architecture: 'x'.repeat(100_000) });
    const message = run({ config: huge }).report.reasons[0]?.message ?? '';
    expect(message).toMatch(/characters\)/);
    expect(message.length).toBeLessThan(600);
  });
});

describe('JobRequest platform', () => {
  const base = { apiVersion: 'streamgate/v1', image: 'us-central1-docker.pkg.dev/p/apps/web:1' } as const;
  const opts = { source: 'webhook', idempotencyKey: 'k', correlationId: 'c' } as const;

  it('is carried into the LaunchRequest when it agrees with the machine type', () => {
    const launch = toLaunchRequest(
      parseJobRequest({ ...base, platform: 'linux/arm64', machineType: 't2a-standard-2' }),
      opts,
    );
    expect(launch.platform).toBe('linux/arm64');
    expect(toLaunchRequest(parseJobRequest(base), opts)).not.toHaveProperty('platform');
  });

  it('is refused with INVALID_REQUEST when it contradicts the machine type, the config default one too', () => {
    const request = parseJobRequest({ ...base, platform: 'linux/amd64', machineType: 'c4a-standard-4' });
    expect(() => toLaunchRequest(request, opts)).toThrow(StreamgateError);
    expect(() => toLaunchRequest(request, opts)).toThrow(
      /Invalid job request: platform: linux\/amd64 cannot run: machineType c4a-standard-4 runs linux\/arm64/,
    );
    const armOnly = parseJobRequest({ ...base, platform: 'linux/arm64' });
    expect(() => toLaunchRequest(armOnly, opts)).toThrow(/without a machineType/);
    expect(
      toLaunchRequest(armOnly, { ...opts, defaults: { machineType: 'n4a-standard-2' } }).machineType,
    ).toBe('n4a-standard-2');
    expect(() => toLaunchRequest(armOnly, { ...opts, defaults: { machineType: 'e2-standard-2' } })).toThrow(
      /machineType e2-standard-2 runs linux\/amd64/,
    );
  });

  it('must look like os/arch[/variant]', () => {
    for (const platform of ['linux', 'linux/arm64/v8/x', 'Linux/ARM64', '', 'l/'.repeat(40)]) {
      expect(() => parseJobRequest({ ...base, platform }), platform).toThrow(/platform/);
    }
    expect(parseJobRequest({ ...base, platform: 'linux/arm64/v8.2' }).platform).toBe('linux/arm64/v8.2');
  });
});
