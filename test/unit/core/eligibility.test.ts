import { describe, expect, it } from 'vitest';
import { judge, type JudgeInput } from '../../../shared/core/eligibility.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { EMPTY_DIGESTS, MEDIA_TYPES } from '../../../shared/core/media-types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
type Layer = { mediaType: string; digest: string; size: number; urls?: string[] };
const layer = (c: string, size = 5000, mediaType = GZIP): Layer => ({ mediaType, digest: D(c), size });

/** A Docker schema 2 image (hand-made, after the distribution spec example). */
function docker(layers: Layer[], extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: MEDIA_TYPES.dockerConfig as string, digest: D('c'), size: 7023 },
    layers,
    ...extra,
  };
}
function oci(layers: Layer[], extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig as string, digest: D('c'), size: 700 },
    layers,
    ...extra,
  };
}
const codes = (input: Partial<JudgeInput> & { document: unknown }) => {
  const { document, ...rest } = input;
  const report = judge({ manifest: { document }, ...rest });
  return {
    verdict: report.verdict,
    reasons: report.reasons.map((r) => r.code),
    warnings: report.warnings.map((w) => w.code),
    report,
  };
};
const ok = docker([layer('1'), layer('2')]);

describe('judge: manifest rules', () => {
  it('calls a plain schema 2 image eligible', () => {
    expect(codes({ document: ok })).toMatchObject({ verdict: 'eligible', reasons: [], warnings: [] });
  });

  it('SCHEMA1 for schema 1 with or without signatures, plus its empty and duplicate layers', () => {
    const fsLayers = [
      { blobSum: EMPTY_DIGESTS.gzipEmptyTar },
      { blobSum: EMPTY_DIGESTS.gzipEmptyTar },
      { blobSum: D('1') },
    ];
    expect(codes({ document: { schemaVersion: 1, fsLayers } }).reasons).toEqual([
      'SCHEMA1',
      'EMPTY_LAYER',
      'DUPLICATE_LAYER',
    ]);
    expect(
      codes({ document: { schemaVersion: 1, fsLayers: [{ blobSum: D('1') }], signatures: [{}] } }).reasons,
    ).toEqual(['SCHEMA1']);
  });

  it('EMPTY_LAYER for each well-known empty digest and for size 0', () => {
    for (const digest of Object.values(EMPTY_DIGESTS)) {
      const r = codes({ document: docker([layer('1'), { mediaType: GZIP, digest, size: 1024 }]) });
      expect(r.reasons).toEqual(['EMPTY_LAYER']);
    }
    const zero = codes({ document: docker([layer('1'), layer('2', 0)]) }).report;
    expect(zero.reasons[0]?.message).toMatch(/^Layer 2 .*zero bytes.*set streaming to off\.$/);
  });

  it('EMPTY_LAYER for a compressed tar of at most 32 bytes, but not for 33+ or uncompressed ones', () => {
    expect(codes({ document: docker([layer('1'), layer('2', 32)]) }).reasons).toEqual(['EMPTY_LAYER']);
    expect(
      codes({ document: oci([layer('1', 20, 'application/vnd.oci.image.layer.v1.tar+zstd')]) }).reasons,
    ).toEqual(['EMPTY_LAYER']);
    expect(codes({ document: docker([layer('1'), layer('2', 33)]) }).reasons).toEqual([]);
    expect(codes({ document: docker([layer('1', 98), layer('2', 115), layer('3', 121)]) }).verdict).toBe(
      'eligible',
    );
    expect(
      codes({ document: oci([layer('1', 30, 'application/vnd.oci.image.layer.v1.tar')]) }).reasons,
    ).toEqual([]);
  });

  it('EMPTY_LAYER from config diff_ids, but never from empty_layer history entries', () => {
    const config = (diffIds: string[], history: unknown[] = []) => ({
      rootfs: { type: 'layers', diff_ids: diffIds },
      history,
    });
    expect(codes({ document: ok, config: config([D('a'), EMPTY_DIGESTS.emptyTar]) }).reasons).toEqual([
      'EMPTY_LAYER',
    ]);
    const history = [{ created_by: 'ENV A=1', empty_layer: true }, { created_by: 'COPY . /' }];
    expect(codes({ document: ok, config: config([D('a'), D('b')], history) }).reasons).toEqual([]);
  });

  it('DUPLICATE_LAYER for repeated layer digests and repeated diff_ids', () => {
    expect(codes({ document: docker([layer('1'), layer('2'), layer('1')]) }).reasons).toEqual([
      'DUPLICATE_LAYER',
    ]);
    const config = { rootfs: { type: 'layers', diff_ids: [D('a'), D('a')] } };
    expect(codes({ document: ok, config }).reasons).toEqual(['DUPLICATE_LAYER']);
  });

  it('NOT_AN_IMAGE for artifactType, non-image config, the empty config and non-filesystem layers', () => {
    expect(
      codes({ document: oci([layer('1', 500, OCI_GZIP)], { artifactType: 'application/vnd.example+type' }) })
        .reasons,
    ).toEqual(['NOT_AN_IMAGE']);
    const helm = oci([layer('1', 500, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip')]);
    helm.config.mediaType = 'application/vnd.cncf.helm.config.v1+json';
    expect(codes({ document: helm }).reasons).toEqual(['NOT_AN_IMAGE']);
    const emptyConfig = oci([layer('1', 500, OCI_GZIP)]);
    emptyConfig.config.digest = EMPTY_DIGESTS.ociEmptyJson;
    expect(codes({ document: emptyConfig }).reasons).toEqual(['NOT_AN_IMAGE']);
    expect(
      codes({ document: oci([layer('1', 500, 'application/vnd.oci.descriptor.v1+json')]) }).reasons,
    ).toEqual(['NOT_AN_IMAGE']);
  });

  it('octet-stream config in a Docker manifest is only a warning', () => {
    const doc = docker([layer('1')]);
    doc.config.mediaType = 'application/octet-stream';
    expect(codes({ document: doc })).toMatchObject({
      verdict: 'eligible',
      warnings: ['NONSTANDARD_CONFIG_MEDIATYPE'],
    });
  });

  it('FOREIGN_LAYER, ENCRYPTED_LAYER and UNSUPPORTED_LAYER_MEDIATYPE by layer type', () => {
    expect(
      codes({
        document: docker([layer('1', 500, 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')]),
      }).reasons,
    ).toEqual(['FOREIGN_LAYER']);
    expect(
      codes({ document: oci([layer('1', 500, 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted')]) })
        .reasons,
    ).toEqual(['ENCRYPTED_LAYER']);
    expect(
      codes({ document: docker([layer('1', 500, 'application/vnd.docker.image.rootfs.diff.tar.zstd')]) })
        .reasons,
    ).toEqual(['UNSUPPORTED_LAYER_MEDIATYPE']);
  });

  it('NO_LAYERS for empty or null layers; MALFORMED for broken structure', () => {
    expect(codes({ document: docker([]) }).reasons).toEqual(['NO_LAYERS']);
    const broken = oci([]);
    (broken as Record<string, unknown>).layers = null;
    broken.config.digest = '';
    expect(codes({ document: broken }).reasons).toEqual(['MALFORMED', 'NO_LAYERS']);
    expect(codes({ document: [1, 2] }).reasons).toEqual(['MALFORMED']);
  });

  it('UNKNOWN_MEDIATYPE for an unrecognised manifest type, still reporting duplicates', () => {
    const doc = {
      schemaVersion: 2,
      mediaType: 'type',
      layers: [layer('1', 1, 'type'), layer('1', 2, 'type')],
    };
    expect(codes({ document: doc }).reasons).toEqual(['UNKNOWN_MEDIATYPE', 'DUPLICATE_LAYER']);
  });

  it('layer warnings: ZSTD_LAYERS, UNCOMPRESSED_LAYERS, LAYER_URLS, HAS_SUBJECT, NO_MEDIATYPE_FIELD, MIXED_MEDIATYPES', () => {
    const mixed = oci(
      [
        layer('1', 500, 'application/vnd.oci.image.layer.v1.tar+zstd'),
        layer('2', 500, 'application/vnd.oci.image.layer.v1.tar'),
        { ...layer('3', 500, OCI_GZIP), urls: ['https://example.com/blob'] },
      ],
      { subject: { mediaType: MEDIA_TYPES.ociManifest, digest: D('s'), size: 1 } },
    );
    expect(codes({ document: mixed })).toMatchObject({
      verdict: 'eligible',
      warnings: ['ZSTD_LAYERS', 'UNCOMPRESSED_LAYERS', 'LAYER_URLS', 'HAS_SUBJECT'],
    });
    const { mediaType: _m, ...nomime } = oci([layer('1', 500, OCI_GZIP)]);
    expect(codes({ document: nomime }).warnings).toEqual(['NO_MEDIATYPE_FIELD']);
    const dockerWithOciConfig = docker([layer('1')]);
    dockerWithOciConfig.config.mediaType = MEDIA_TYPES.ociConfig;
    expect(codes({ document: dockerWithOciConfig }).warnings).toEqual(['MIXED_MEDIATYPES']);
  });
});

describe('judge: indexes', () => {
  const amd = { os: 'linux', architecture: 'amd64' };
  const entry = (digest: string, platform?: object, extra: object = {}) => ({
    mediaType: MEDIA_TYPES.dockerManifest,
    digest,
    size: 500,
    ...(platform === undefined ? {} : { platform }),
    ...extra,
  });
  const list = (...manifests: unknown[]) => ({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerList,
    manifests,
  });

  it('INDEX_NEEDS_RESOLUTION offline, with the digest that would be used', () => {
    const r = codes({
      document: list(entry(D('1'), { os: 'linux', architecture: 'arm64' }), entry(D('2'), amd)),
    });
    expect(r).toMatchObject({ verdict: 'needs-resolution', reasons: ['INDEX_NEEDS_RESOLUTION'] });
    expect(r.report.platformDigest).toBe(D('2'));
  });

  it('judges the chosen child when it is given, by its content', () => {
    const document = list(entry(D('2'), amd));
    const good = codes({ document, manifests: new Map([[D('2'), { document: ok }]]) });
    expect(good).toMatchObject({ verdict: 'eligible', reasons: [] });
    expect(good.report.platformDigest).toBe(D('2'));
    const bad = codes({
      document,
      manifests: new Map([[D('2'), { document: { schemaVersion: 1, fsLayers: [{ blobSum: D('1') }] } }]]),
    });
    expect(bad).toMatchObject({
      verdict: 'ineligible',
      reasons: ['SCHEMA1'],
      warnings: ['DESCRIPTOR_MEDIATYPE_MISMATCH'],
    });
  });

  it('duplicate index entries are not duplicate layers', () => {
    const r = codes({
      document: list(entry(D('2'), amd), entry(D('2'), amd)),
      manifests: new Map([[D('2'), { document: ok }]]),
    });
    expect(r).toMatchObject({ verdict: 'eligible', reasons: [], warnings: ['DUPLICATE_PLATFORM_ENTRIES'] });
  });

  it('NO_MATCHING_PLATFORM, and MALFORMED for cycles', () => {
    expect(codes({ document: list(entry(D('1'), { os: 'linux', architecture: 'arm64' })) }).reasons).toEqual([
      'NO_MATCHING_PLATFORM',
    ]);
    const cyc = list({ mediaType: MEDIA_TYPES.dockerList, digest: D('1'), size: 1 });
    const r = codes({
      document: cyc,
      digest: 'sha256:root',
      manifests: new Map([
        [D('1'), { document: list({ mediaType: MEDIA_TYPES.dockerList, digest: D('1'), size: 1 }) }],
      ]),
    });
    expect(r.reasons).toEqual(['MALFORMED']);
  });

  it('index warnings: references, nested, non-manifest, no platforms, zstd variants, schema1 children, nonstandard children', () => {
    const unknown = { os: 'unknown', architecture: 'unknown' };
    const r = codes({
      document: list(
        entry(D('1'), unknown),
        { mediaType: 'application/xml', digest: D('2'), size: 1 },
        entry(D('3'), amd, { annotations: { 'io.github.containers.compression.zstd': 'true' } }),
        entry(D('4'), amd, { mediaType: MEDIA_TYPES.schema1Signed }),
        entry(D('5'), amd, { mediaType: 'application/vnd.docker.image.manifest.v2+json' }),
        {
          mediaType: MEDIA_TYPES.ociIndex,
          digest: D('6'),
          size: 1,
          platform: { os: 'linux', architecture: 's390x' },
        },
      ),
    });
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        'REFERENCE_ENTRIES_UNKNOWN_PLATFORM',
        'NESTED_INDEX',
        'NON_MANIFEST_ENTRY',
        'DUPLICATE_PLATFORM_ENTRIES',
        'ZSTD_VARIANTS',
        'CHILD_IS_SCHEMA1',
        'NONSTANDARD_CHILD_MEDIATYPE',
        'MIXED_MEDIATYPES',
      ]),
    );
    expect(r.report.platformDigest).toBe(D('4'));
    expect(codes({ document: { schemaVersion: 2, manifests: [entry(D('1'))] } }).warnings).toEqual([
      'NO_PLATFORM_FIELDS',
      'NO_MEDIATYPE_FIELD',
    ]);
  });
});

describe('judge: reference, request and repository rules', () => {
  const image = (ref: string) => parseImageReference(ref);

  it('NOT_ARTIFACT_REGISTRY for other hosts; gcr.io on AR is fine', () => {
    expect(codes({ document: ok, image: image('ghcr.io/a/b:1') }).reasons).toEqual(['NOT_ARTIFACT_REGISTRY']);
    expect(codes({ document: ok, image: image('eu.gcr.io/p/app') }).report).toMatchObject({
      verdict: 'eligible',
      jobRegion: 'europe-west1',
    });
  });

  it('LOCATION_MISMATCH and REGION_NOT_SUPPORTED', () => {
    const ar = image('us-east1-docker.pkg.dev/p/r/app');
    expect(codes({ document: ok, image: ar, requestedRegion: 'us-west1' }).reasons).toEqual([
      'LOCATION_MISMATCH',
    ]);
    expect(
      codes({ document: ok, image: image('northamerica-south1-docker.pkg.dev/p/r/app') }).reasons,
    ).toEqual(['REGION_NOT_SUPPORTED']);
    expect(codes({ document: ok, image: ar }).report.jobRegion).toBe('us-east1');
  });

  it('UNSUPPORTED_CONTAINER_FIELD names the ignored fields', () => {
    const r = codes({ document: ok, containerFields: ['imageUri', 'commands', 'options', 'password'] });
    expect(r.reasons).toEqual(['UNSUPPORTED_CONTAINER_FIELD']);
    expect(r.report.reasons[0]?.message).toMatch(/options, password/);
    expect(codes({ document: ok, containerFields: ['imageUri', 'entrypoint', 'volumes'] }).reasons).toEqual(
      [],
    );
  });

  it('repository facts: non-DOCKER format, remote/virtual, CMEK, media type mismatch, unavailable', () => {
    expect(codes({ document: ok, repository: { format: 'MAVEN', mode: 'STANDARD' } }).reasons).toEqual([
      'NOT_AN_IMAGE',
    ]);
    const r = codes({
      document: ok,
      repository: {
        format: 'DOCKER',
        mode: 'REMOTE',
        kmsKeyName: 'projects/p/locations/l/keyRings/k/cryptoKeys/c',
        imageMediaType: MEDIA_TYPES.ociManifest,
      },
    });
    expect(r).toMatchObject({
      verdict: 'eligible',
      warnings: ['REMOTE_OR_VIRTUAL_REPOSITORY', 'CMEK_REPOSITORY', 'MEDIATYPE_MISMATCH'],
    });
    expect(
      codes({
        document: ok,
        repository: { format: 'DOCKER', mode: 'STANDARD', imageMediaType: MEDIA_TYPES.dockerManifest },
      }).warnings,
    ).toEqual([]);
    expect(codes({ document: ok, repository: 'unavailable' }).warnings).toEqual([
      'REPOSITORY_FACTS_UNAVAILABLE',
    ]);
  });

  it('API_DISABLED and API_STATUS_UNKNOWN', () => {
    expect(codes({ document: ok, apiEnabled: false }).reasons).toEqual(['API_DISABLED']);
    expect(codes({ document: ok, apiEnabled: 'unknown' })).toMatchObject({
      verdict: 'eligible',
      warnings: ['API_STATUS_UNKNOWN'],
    });
    expect(codes({ document: ok, apiEnabled: true })).toMatchObject({ reasons: [], warnings: [] });
  });

  it('reports every rule that fires, reference rules first', () => {
    const r = codes({
      document: docker([layer('1'), layer('1', 0)]),
      image: image('docker.io/library/x'),
      apiEnabled: false,
    });
    expect(r.reasons).toEqual(['NOT_ARTIFACT_REGISTRY', 'EMPTY_LAYER', 'DUPLICATE_LAYER', 'API_DISABLED']);
    for (const finding of r.report.reasons) expect(finding.message).toMatch(/^[A-Z].*\.$/);
  });
});
