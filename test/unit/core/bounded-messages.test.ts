import { describe, expect, it } from 'vitest';
import { judge, type JudgeInput } from '../../../shared/core/eligibility.js';
import { MEDIA_TYPES } from '../../../shared/core/media-types.js';

/**
 * Reason and warning messages quote manifest and registry strings through quoteBounded: a 100 KiB
 * media type or artifactType is shown by its start and length, and the message keeps its remedy.
 */

const HUGE = 100 * 1024;
const big = (prefix: string) => prefix + 'x'.repeat(HUGE - prefix.length);
const D = (c: string) => `sha256:${c.repeat(64)}`;

function manifest(overrides: { config?: string; layer?: string; artifactType?: string; mediaType?: string }) {
  return {
    schemaVersion: 2,
    mediaType: overrides.mediaType ?? MEDIA_TYPES.ociManifest,
    ...(overrides.artifactType ? { artifactType: overrides.artifactType } : {}),
    config: { mediaType: overrides.config ?? MEDIA_TYPES.ociConfig, digest: D('c'), size: 700 },
    layers: [
      {
        mediaType: overrides.layer ?? 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: D('1'),
        size: 5000,
      },
    ],
  };
}

const findings = (input: Omit<JudgeInput, 'manifest'> & { document: unknown }) => {
  const { document, ...rest } = input;
  const report = judge({ manifest: { document }, ...rest });
  return [...report.reasons, ...report.warnings];
};

describe('messages quote long manifest strings by their start and length', () => {
  const cases: Array<[string, Omit<JudgeInput, 'manifest'> & { document: unknown }, string, string]> = [
    [
      'artifactType',
      { document: manifest({ artifactType: big('application/vnd.example+') }) },
      'NOT_AN_IMAGE',
      'point imageUri at the image itself',
    ],
    [
      'config media type',
      { document: manifest({ config: big('application/vnd.example.config+') }) },
      'NOT_AN_IMAGE',
      'point imageUri at the image itself',
    ],
    [
      'foreign layer namespace',
      { document: manifest({ layer: big('application/x-') }) },
      'NOT_AN_IMAGE',
      'point imageUri at the image itself',
    ],
    [
      'unsupported layer type',
      { document: manifest({ layer: big('application/vnd.oci.image.layer.v1.tar+') }) },
      'UNSUPPORTED_LAYER_MEDIATYPE',
      'rebuild with tar, tar+gzip or tar+zstd layers',
    ],
    [
      'encrypted layer type',
      { document: manifest({ layer: `${big('application/vnd.oci.image.layer.v1.tar+gzip')}+encrypted` }) },
      'ENCRYPTED_LAYER',
      'push an unencrypted image',
    ],
    [
      'manifest media type',
      { document: manifest({ mediaType: big('application/vnd.example.manifest+') }) },
      'UNKNOWN_MEDIATYPE',
      'push the image with a standard tool',
    ],
    [
      'index artifactType',
      {
        document: {
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociIndex,
          artifactType: big('application/vnd.example.index+'),
          manifests: [],
        },
      },
      'NOT_AN_IMAGE',
      'point imageUri at an image',
    ],
    [
      'repository format',
      { document: manifest({}), repository: { format: big('MAVEN'), mode: 'STANDARD' } },
      'NOT_AN_IMAGE',
      'use an image from a Docker-format repository',
    ],
    [
      'recorded media type',
      {
        document: manifest({}),
        repository: { format: 'DOCKER', mode: 'STANDARD', imageMediaType: big('application/vnd.x+') },
      },
      'MEDIATYPE_MISMATCH',
      'check that the reference points at the image you meant',
    ],
  ];

  it.each(cases)('%s', (_name, input, code, remedy) => {
    const finding = findings(input).find((f) => f.code === code);
    expect(finding, `no ${code}`).toBeDefined();
    expect(finding!.message.length).toBeLessThan(600);
    expect(finding!.message).toContain(remedy);
    expect(finding!.message).toMatch(/… \(\d+ characters\)/);
  });
});
