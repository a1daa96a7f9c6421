import { describe, expect, it } from 'vitest';
import { classifyManifest } from '../../../shared/core/manifest.js';
import { MANIFEST_ACCEPT, MEDIA_TYPES } from '../../../shared/core/media-types.js';
import { DEFAULT_PLATFORM, parsePlatform, platformMatches } from '../../../shared/core/platform.js';
import { StreamgateError } from '../../../shared/core/errors.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('1'), size: 100 };

describe('classifyManifest', () => {
  it('spots schema 1 by schemaVersion whatever the media type says, signed or not', () => {
    expect(classifyManifest({ fsLayers: [], schemaVersion: 1 })).toMatchObject({
      kind: 'schema1',
      signed: false,
      mediaType: MEDIA_TYPES.schema1,
    });
    expect(
      classifyManifest({
        schemaVersion: 1,
        fsLayers: [],
        signatures: [{}],
        mediaType: MEDIA_TYPES.ociManifest,
      }),
    ).toMatchObject({ kind: 'schema1', signed: true });
  });

  it('infers index, Docker schema 2 and OCI from content when mediaType is absent', () => {
    expect(classifyManifest({ schemaVersion: 2, manifests: [] })).toMatchObject({
      kind: 'index',
      mediaType: MEDIA_TYPES.ociIndex,
      mediaTypeSource: 'inferred',
    });
    const docker = {
      schemaVersion: 2,
      config: { mediaType: MEDIA_TYPES.dockerConfig, digest: D('c'), size: 1 },
      layers: [layer],
    };
    expect(classifyManifest(docker)).toMatchObject({
      kind: 'image',
      format: 'docker',
      mediaType: MEDIA_TYPES.dockerManifest,
    });
    const oci = { ...docker, config: { ...docker.config, mediaType: MEDIA_TYPES.ociConfig } };
    expect(classifyManifest(oci)).toMatchObject({
      kind: 'image',
      format: 'oci',
      mediaType: MEDIA_TYPES.ociManifest,
    });
  });

  it('lets a specific Content-Type decide when the document has no mediaType', () => {
    const doc = { schemaVersion: 2, manifests: [] };
    expect(classifyManifest(doc, `${MEDIA_TYPES.dockerList}; charset=utf-8`)).toMatchObject({
      format: 'docker',
      mediaTypeSource: 'content-type',
    });
    expect(classifyManifest(doc, 'application/json')).toMatchObject({ mediaTypeSource: 'inferred' });
  });

  it('reports structural problems with their JSON path', () => {
    const broken = classifyManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { digest: '', size: 0 },
      layers: [],
    });
    expect(broken.problems.join(' ')).toMatch(/config\.digest/);
    expect(classifyManifest('text').kind).toBe('malformed');
    expect(classifyManifest({ schemaVersion: 2 }).kind).toBe('malformed');
    expect(classifyManifest({ mediaType: 'type', layers: [layer] })).toMatchObject({
      kind: 'unknown',
      layers: [layer],
    });
  });
});

describe('MANIFEST_ACCEPT', () => {
  it('asks for every manifest type streamgate can judge', () => {
    for (const type of Object.values(MEDIA_TYPES).filter(
      (t) => t.includes('manifest') || t.includes('index'),
    )) {
      expect(MANIFEST_ACCEPT).toContain(type);
    }
  });
});

describe('platforms', () => {
  it('parses os/arch[/variant] and refuses anything else', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/amd64')).toEqual(DEFAULT_PLATFORM);
    expect(() => parsePlatform('linux')).toThrow(StreamgateError);
    expect(() => parsePlatform('a/b/c/d')).toThrow(/os\/arch/);
  });

  it('matches variants as containerd does, with arm64 implying v8 and older arm variants running on newer', () => {
    expect(
      platformMatches(
        { os: 'linux', architecture: 'arm64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ),
    ).toBe(true);
    expect(
      platformMatches(
        { os: 'linux', architecture: 'arm', variant: 'v7' },
        { os: 'linux', architecture: 'arm', variant: 'v6' },
      ),
    ).toBe(false);
    expect(platformMatches({ os: 'windows', architecture: 'amd64' }, DEFAULT_PLATFORM)).toBe(false);
  });
});
