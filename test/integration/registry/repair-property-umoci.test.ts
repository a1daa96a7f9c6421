/**
 * The repair property with umoci as the oracle (a bounded number of runs): random layer stacks
 * with duplicates and empty layers unpack, with umoci, to the same tree as the layers the repair
 * keeps; and umoci agrees with our own tar applier (the unit tier's oracle) on every stack.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildStack, decideStackRepair, layerStackArb } from '../../helpers/layer-stacks.js';
import { addLayerBlob, composeImage, unpackTree, type LayoutLayer } from '../../helpers/repair-layouts.js';
import { describeSkopeoUmociTier, newOciLayout, type OciLayout } from '../../helpers/skopeo-umoci.js';
import { applyLayers } from '../../helpers/tar-layers.js';

const RUNS = 40;

describeSkopeoUmociTier('repair property with umoci as the oracle', () => {
  let layout: OciLayout;
  beforeAll(async () => {
    layout = await newOciLayout();
  });
  afterAll(async () => layout?.remove());

  it(`${RUNS} random stacks: the repaired stack unpacks to the same tree, and our applier agrees`, async () => {
    const stacks = fc.sample(layerStackArb, { numRuns: RUNS, seed: 1414 });
    for (const [n, stack] of stacks.entries()) {
      const layers = await buildStack(stack, () => 'gzip');
      const config = { rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } };
      const decision = await decideStackRepair(layers, config);
      expect(decision.kind).toBe('repair');
      const removed = new Set(decision.kind === 'repair' ? decision.removals.map((r) => r.index) : []);
      const stored: LayoutLayer[] = [];
      for (const layer of layers)
        stored.push(await addLayerBlob(layout, layer.blob, layer.mediaType, layer.tar));
      await composeImage(layout, `p${n}-o`, stored);
      await composeImage(
        layout,
        `p${n}-r`,
        stored.filter((_, i) => !removed.has(i)),
      );
      const original = await unpackTree(layout.dir, `p${n}-o`);
      expect(await unpackTree(layout.dir, `p${n}-r`)).toEqual(original);
      const ours = await applyLayers(layers.map((l) => l.tar));
      expect([...ours.keys()].sort()).toEqual(Object.keys(original).sort());
      for (const [path, node] of ours) expect(original[path]?.type, path).toBe(node.type);
    }
  }, 300_000);
});
