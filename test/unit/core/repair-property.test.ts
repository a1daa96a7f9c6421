/**
 * Property: for random layer stacks with duplicates and empty layers, the layers a repair keeps
 * apply to exactly the tree the original stack applies to (our own applier; the tool tier uses
 * umoci as the oracle), and the repaired manifest has no empty or duplicate layer left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge } from '../../../shared/core/eligibility.js';
import { MEDIA_TYPES } from '../../../shared/core/media-types.js';
import { rewriteImage } from '../../../shared/core/repair/rewrite.js';
import { buildStack, decideStackRepair, descriptorsOf, layerStackArb } from '../../helpers/layer-stacks.js';
import { applyLayers, makeTestLayer, treeEntries, type TestLayer } from '../../helpers/tar-layers.js';

async function repaired(layers: TestLayer[]) {
  const descriptors = descriptorsOf(layers);
  const config = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const decision = await decideStackRepair(layers, config);
  if (decision.kind !== 'repair')
    throw new Error('the alphabet has no hard links, so no refusal is possible');
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: {}, layers: descriptors };
  const out = rewriteImage(manifest, config, 'sha256:' + '0'.repeat(64), decision.removals);
  const removed = new Set(decision.removals.map((r) => r.index));
  return {
    kept: layers.filter((_, i) => !removed.has(i)),
    manifest: JSON.parse(out.manifest.bytes.toString()) as unknown,
    config: JSON.parse(out.config.bytes.toString()) as unknown,
  };
}

describe('repair keeps the filesystem (property, our tar applier)', () => {
  it('every repaired stack applies to the same tree, and is eligible', async () => {
    await fc.assert(
      fc.asyncProperty(layerStackArb, async (stack) => {
        const layers = await buildStack(stack, (i) => (i % 2 ? 'none' : 'gzip'));
        const result = await repaired(layers);
        const before = treeEntries(await applyLayers(layers.map((l) => l.tar)));
        const after = treeEntries(await applyLayers(result.kept.map((l) => l.tar)));
        expect(after).toEqual(before);
        const report = judge({ manifest: { document: result.manifest }, config: result.config });
        expect(report.reasons.map((r) => r.code)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('the applier itself honours whiteouts and opaque directories', async () => {
    const lower = await makeTestLayer([
      { type: 'dir', path: 'd' },
      { type: 'file', path: 'd/x', content: '1' },
      { type: 'file', path: 'd/y', content: '2' },
      { type: 'file', path: 'a', content: 'a' },
    ]);
    const upper = await makeTestLayer([
      { type: 'file', path: '.wh.a', content: '' },
      { type: 'dir', path: 'd' },
      { type: 'file', path: 'd/.wh..wh..opq', content: '' },
      { type: 'file', path: 'd/y', content: '3' },
    ]);
    const tree = await applyLayers([lower.tar, upper.tar]);
    expect([...tree.keys()].sort()).toEqual(['d', 'd/y']);
    expect(tree.get('d/y')).toMatchObject({ content: '3' });
  });
});
