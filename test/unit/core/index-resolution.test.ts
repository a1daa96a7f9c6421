import { describe, expect, it } from 'vitest';
import { resolveIndex, ZSTD_ANNOTATION } from '../../../shared/core/index-resolution.js';
import type { FetchedManifest } from '../../../shared/core/manifest.js';
import { MEDIA_TYPES } from '../../../shared/core/media-types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const amd64 = { os: 'linux', architecture: 'amd64' };
const entry = (digest: string, extra: Record<string, unknown> = {}) => ({
  mediaType: MEDIA_TYPES.ociManifest,
  digest,
  size: 500,
  ...extra,
});
const index = (...manifests: unknown[]) => ({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests });
const image = (layerType: string) => ({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.ociConfig, digest: D('c'), size: 10 },
  layers: [{ mediaType: layerType, digest: D('9'), size: 1000 }],
});
const lookupOf =
  (docs: Record<string, unknown>) =>
  (digest: string): FetchedManifest | undefined =>
    Object.hasOwn(docs, digest) ? { document: docs[digest] } : undefined;

describe('resolveIndex', () => {
  it('picks the linux/amd64 entry and skips unknown/unknown and non-manifest entries', () => {
    const root = index(
      entry(D('1'), { platform: { os: 'unknown', architecture: 'unknown' } }),
      { mediaType: 'application/xml', digest: D('2'), size: 3 },
      entry(D('3'), { platform: { os: 'linux', architecture: 'arm64' } }),
      entry(D('4'), { platform: amd64 }),
    );
    expect(resolveIndex('root', lookupOf({ root }))).toEqual({
      status: 'resolved',
      digest: D('4'),
      path: ['root', D('4')],
    });
    expect(resolveIndex('root', lookupOf({ root }), { os: 'linux', architecture: 'arm64' })).toMatchObject({
      digest: D('3'),
    });
  });

  it('prefers the first entry not annotated as zstd, as containers/image does', () => {
    const root = index(
      entry(D('1'), { platform: amd64, annotations: { [ZSTD_ANNOTATION]: 'true' } }),
      entry(D('2'), { platform: amd64 }),
    );
    expect(resolveIndex('root', lookupOf({ root }))).toMatchObject({ digest: D('2') });
  });

  it('skips a fetched child whose layers are zstd when another one matches', () => {
    const root = index(entry(D('1'), { platform: amd64 }), entry(D('2'), { platform: amd64 }));
    const docs = {
      root,
      [D('1')]: image('application/vnd.oci.image.layer.v1.tar+zstd'),
      [D('2')]: image('application/vnd.oci.image.layer.v1.tar+gzip'),
    };
    expect(resolveIndex('root', lookupOf(docs))).toMatchObject({ digest: D('2') });
    // With only zstd children, the first one is still used.
    expect(resolveIndex('root', lookupOf({ ...docs, [D('2')]: docs[D('1')] }))).toMatchObject({
      digest: D('1'),
    });
  });

  it('asks for a nested index, then follows it', () => {
    const root = index(entry(D('1'), { platform: { os: 'linux', architecture: 'ppc64le' } }), {
      mediaType: MEDIA_TYPES.ociIndex,
      digest: D('2'),
      size: 300,
    });
    expect(resolveIndex('root', lookupOf({ root }))).toEqual({ status: 'missing', digests: [D('2')] });
    const nested = index(entry(D('3'), { platform: amd64 }));
    expect(resolveIndex('root', lookupOf({ root, [D('2')]: nested }))).toEqual({
      status: 'resolved',
      digest: D('3'),
      path: ['root', D('2'), D('3')],
    });
    expect(resolveIndex('root', lookupOf({ root, [D('2')]: index() }))).toEqual({ status: 'no-match' });
  });

  it('judges children by content: a "manifest" entry that is really an index is descended into', () => {
    const root = index(entry(D('1'), { platform: amd64 }));
    const docs = { root, [D('1')]: index(entry(D('5'), { platform: amd64 })) };
    expect(resolveIndex('root', lookupOf(docs))).toMatchObject({ status: 'resolved', digest: D('5') });
  });

  it('reports no-match when nothing serves the platform', () => {
    const root = index(entry(D('1'), { platform: { os: 'b', architecture: 'a' } }));
    expect(resolveIndex('root', lookupOf({ root }))).toEqual({ status: 'no-match' });
  });

  it('stops cycles and over-deep nesting with MALFORMED', () => {
    const nestedEntry = (d: string) => ({ mediaType: MEDIA_TYPES.ociIndex, digest: d, size: 1 });
    const cyclic = {
      root: index(nestedEntry(D('1'))),
      [D('1')]: index(nestedEntry(D('2'))),
      [D('2')]: index(nestedEntry(D('1'))),
    };
    expect(resolveIndex('root', lookupOf(cyclic))).toMatchObject({ status: 'error', code: 'MALFORMED' });
    const deep: Record<string, unknown> = { root: index(nestedEntry(D('1'))) };
    for (let i = 1; i <= 6; i++) deep[D(String(i))] = index(nestedEntry(D(String(i + 1))));
    expect(resolveIndex('root', lookupOf(deep), undefined, 3)).toMatchObject({
      status: 'error',
      message: /more than 3 levels/,
    });
  });
});
