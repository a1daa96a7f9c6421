import { describe, expect, it } from 'vitest';
import { judge } from '../../../shared/core/eligibility.js';
import { EMPTY_DIGESTS, MEDIA_TYPES } from '../../../shared/core/media-types.js';
import { decideRepair, describeRemoval, repairCandidates } from '../../../shared/core/repair/plan.js';
import {
  canonicalBlob,
  isRepairedManifest,
  REPAIRED_FROM_ANNOTATION,
  rewriteImage,
  rewriteIndex,
} from '../../../shared/core/repair/rewrite.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const layer = (c: string, size = 5000) => ({ mediaType: GZIP, digest: D(c), size });
const EMPTY = { mediaType: GZIP, digest: EMPTY_DIGESTS.gzipEmptyTar, size: 32 };
const clean = { entries: 3, foreignHardlinks: [] };

function manifest(layers: object[]) {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: D('c'), size: 10 },
    layers,
    annotations: { 'org.example': 'kept' },
  };
}

function config(diffIds: string[]) {
  return {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['A=1'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      { created_by: 'ARG x', empty_layer: true },
      ...diffIds.map((_, i) => ({ created_by: `step ${i}` })),
    ],
  };
}

describe('repairCandidates', () => {
  it('removes every copy of a layer but the last, and reads the layers between', () => {
    const c = repairCandidates([layer('a'), layer('b'), layer('a'), layer('d'), layer('a')], undefined);
    expect(c.removals).toEqual([
      { digest: D('a'), index: 0, reason: 'DUPLICATE_LAYER' },
      { digest: D('a'), index: 2, reason: 'DUPLICATE_LAYER' },
    ]);
    expect(c.between).toEqual([1, 2, 3]);
    expect(c.confirmEmpty).toEqual([]);
  });

  it('finds empty layers by descriptor and by the empty-tar diff_id', () => {
    const c = repairCandidates(
      [EMPTY, layer('a'), layer('b')],
      config([D('1'), EMPTY_DIGESTS.emptyTar, D('3')]),
    );
    expect(c.removals.map((r) => [r.index, r.reason])).toEqual([
      [0, 'EMPTY_LAYER'],
      [1, 'EMPTY_LAYER'],
    ]);
    expect(c.confirmEmpty).toEqual([0, 1]);
  });

  it('treats layers with the same diff_id as copies even when their blobs differ', () => {
    const c = repairCandidates([layer('a'), layer('b'), layer('e')], config([D('1'), D('2'), D('1')]));
    expect(c.removals).toEqual([{ digest: D('a'), index: 0, reason: 'DUPLICATE_LAYER' }]);
  });

  it('finds nothing in a clean image', () => {
    expect(repairCandidates([layer('a'), layer('b')], undefined).removals).toEqual([]);
  });
});

describe('decideRepair', () => {
  const candidates = repairCandidates([EMPTY, layer('a'), layer('b'), layer('a')], undefined);

  it('repairs when the empty layer is confirmed and no layer between links outside itself', () => {
    const facts = new Map([
      [0, { entries: 0, foreignHardlinks: [] }],
      [2, clean],
    ]);
    const decision = decideRepair(candidates, facts);
    expect(decision).toEqual({ kind: 'repair', removals: candidates.removals });
  });

  it('keeps an "empty" layer that turns out to hold entries', () => {
    const facts = new Map([
      [0, { entries: 1, foreignHardlinks: [] }],
      [2, clean],
    ]);
    const decision = decideRepair(candidates, facts);
    expect(decision.kind === 'repair' && decision.removals.map((r) => r.index)).toEqual([1]);
  });

  it('refuses with REPAIR_UNSAFE_HARDLINK when a layer between hard-links outside itself', () => {
    const facts = new Map([
      [0, { entries: 0, foreignHardlinks: [] }],
      [2, { entries: 2, foreignHardlinks: [{ path: 'usr/bin/b', target: 'usr/bin/a' }] }],
    ]);
    const decision = decideRepair(candidates, facts);
    expect(decision.kind).toBe('refused');
    if (decision.kind === 'refused') {
      expect(decision.reasons.map((r) => r.code)).toEqual(['REPAIR_UNSAFE_HARDLINK']);
      expect(decision.reasons[0]?.message).toContain('"usr/bin/a"');
    }
  });

  it('describes removals for people', () => {
    expect(describeRemoval({ digest: D('a'), index: 1, reason: 'DUPLICATE_LAYER' })).toBe(
      'layer 2 (sha256:aaaaaaaa…): an earlier copy of a later layer',
    );
  });
});

describe('rewriteImage', () => {
  const layers = [layer('a'), layer('b'), EMPTY, layer('a')];
  const cfg = config([D('1'), D('2'), EMPTY_DIGESTS.emptyTar, D('1')]);
  const removals = [
    { digest: D('a'), index: 0, reason: 'DUPLICATE_LAYER' as const },
    { digest: EMPTY.digest, index: 2, reason: 'EMPTY_LAYER' as const },
  ];
  const out = rewriteImage(manifest(layers), cfg, D('0'), removals);
  const newManifest = JSON.parse(out.manifest.bytes.toString()) as ReturnType<typeof manifest>;
  const newConfig = JSON.parse(out.config.bytes.toString()) as ReturnType<typeof config>;

  it('drops the layers, points at the new config and annotates the origin', () => {
    expect(newManifest.layers).toEqual([layer('b'), layer('a')]);
    expect(newManifest.config).toEqual({
      mediaType: MEDIA_TYPES.ociConfig,
      digest: out.config.digest,
      size: out.config.bytes.byteLength,
    });
    expect(newManifest.annotations).toEqual({ 'org.example': 'kept', [REPAIRED_FROM_ANNOTATION]: D('0') });
    expect(isRepairedManifest(newManifest)).toBe(true);
    expect(isRepairedManifest(manifest(layers))).toBe(false);
  });

  it('makes diff_ids follow, marks removed history steps empty_layer, keeps every other field', () => {
    expect(newConfig.rootfs.diff_ids).toEqual([D('2'), D('1')]);
    expect(newConfig.history).toEqual([
      { created_by: 'ARG x', empty_layer: true },
      { created_by: 'step 0', empty_layer: true },
      { created_by: 'step 1' },
      { created_by: 'step 2', empty_layer: true },
      { created_by: 'step 3' },
    ]);
    expect(newConfig.config).toEqual({ Env: ['A=1'] });
    expect(newConfig.architecture).toBe('amd64');
  });

  it('is deterministic and canonical: the same input gives the same bytes, whatever the key order', () => {
    const again = rewriteImage(manifest(layers), cfg, D('0'), removals);
    expect(again.manifest.digest).toBe(out.manifest.digest);
    const shuffled = Object.fromEntries(Object.entries(cfg).reverse());
    expect(rewriteImage(manifest(layers), shuffled, D('0'), removals).config.digest).toBe(out.config.digest);
    expect(canonicalBlob({ b: 1, a: [2, { d: 1, c: 2 }] }).bytes.toString()).toBe(
      '{"a":[2,{"c":2,"d":1}],"b":1}',
    );
  });

  it('judges the result eligible', () => {
    expect(judge({ manifest: { document: newManifest }, config: newConfig }).verdict).toBe('eligible');
  });

  it('leaves a history that does not line up with the layers as it was', () => {
    const odd = { ...cfg, history: [{ created_by: 'only one' }] };
    const rewritten = rewriteImage(manifest(layers), odd, D('0'), removals);
    expect((JSON.parse(rewritten.config.bytes.toString()) as typeof odd).history).toEqual(odd.history);
  });
});

describe('rewriteIndex', () => {
  it('replaces the repaired children and annotates the index', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: D('1'),
          size: 1,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: D('2'),
          size: 2,
          platform: { os: 'linux', architecture: 'arm64' },
        },
      ],
    };
    const child = canonicalBlob({ new: true });
    const out = JSON.parse(
      rewriteIndex(index, D('9'), new Map([[D('2'), child]])).bytes.toString(),
    ) as typeof index & {
      annotations: Record<string, string>;
    };
    expect(out.manifests[0]).toEqual(index.manifests[0]);
    expect(out.manifests[1]).toEqual({
      ...index.manifests[1],
      digest: child.digest,
      size: child.bytes.byteLength,
    });
    expect(out.annotations[REPAIRED_FROM_ANNOTATION]).toBe(D('9'));
  });
});
