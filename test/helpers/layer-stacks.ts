/**
 * Random layer stacks for the repair property: a small alphabet of files, directories, whiteouts
 * and opaque markers, a few distinct layers, then a stack that repeats some of them and inserts
 * empty layers. Each layer lists its parent directories first, as image builders write them.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { tarFacts } from '../../shared/adapters/layers/tar-facts.js';
import { STREAMABLE_LAYER_TYPES } from '../../shared/core/media-types.js';
import {
  decideRepair,
  layersToInspect,
  repairCandidates,
  type LayerFacts,
  type RepairDecision,
} from '../../shared/core/repair/plan.js';
import { makeTestLayer, type Compression, type LayerEntry, type TestLayer } from './tar-layers.js';

const FILES = ['a', 'b', 'd/x', 'd/y', 'e/z'] as const;
const WHITEOUTS = ['.wh.a', '.wh.b', 'd/.wh.x', '.wh.d', 'e/.wh.z'] as const;
const OPAQUE = 'd/.wh..wh..opq';

const entryArb: fc.Arbitrary<LayerEntry> = fc.oneof(
  fc.record({
    type: fc.constant('file' as const),
    path: fc.constantFrom(...FILES),
    content: fc.constantFrom('1', '2', '3'),
    mode: fc.constantFrom(0o644, 0o600, 0o755),
    uid: fc.constantFrom(0, 1000),
  }),
  fc.record({
    type: fc.constant('dir' as const),
    path: fc.constantFrom('d', 'e'),
    mode: fc.constantFrom(0o755, 0o700),
  }),
  fc.record({
    type: fc.constant('file' as const),
    path: fc.constantFrom(...WHITEOUTS, OPAQUE),
    content: fc.constant(''),
  }),
  fc.record({
    type: fc.constant('symlink' as const),
    path: fc.constant('s'),
    target: fc.constantFrom('a', 'd/x'),
  }),
);

/** One layer's entries: unique paths, parents first, a whiteout never beside its own target. */
function normalise(entries: LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) byPath.set(entry.path, entry);
  const out = new Map<string, LayerEntry>();
  for (const entry of [...byPath.values()].sort((x, y) => (x.path < y.path ? -1 : 1))) {
    const parent = entry.path.includes('/') ? entry.path.split('/')[0] : undefined;
    if (parent !== undefined && !out.has(parent)) {
      const declared = byPath.get(parent);
      out.set(parent, declared?.type === 'dir' ? declared : { type: 'dir', path: parent, mode: 0o755 });
    }
    out.set(entry.path, entry);
  }
  // A whiteout and a new entry of the same name in one layer is undefined behaviour; keep the entry.
  for (const path of [...out.keys()]) {
    const base = path.split('/').pop() ?? '';
    if (!base.startsWith('.wh.') || base === '.wh..wh..opq') continue;
    const target = path.replace(/\.wh\.([^/]+)$/, '$1');
    if ([...out.keys()].some((p) => p === target || p.startsWith(`${target}/`))) out.delete(path);
  }
  // An opaque marker of a directory this layer removes makes no sense either.
  if (out.has('.wh.d')) for (const path of [...out.keys()]) if (path.startsWith('d/')) out.delete(path);
  return [...out.values()];
}

/** A stack: distinct layers (entries) and the order they are applied in (`-1`: an empty layer). */
export interface LayerStack {
  layers: LayerEntry[][];
  order: number[];
}

export const layerStackArb: fc.Arbitrary<LayerStack> = fc
  .array(fc.array(entryArb, { minLength: 1, maxLength: 6 }).map(normalise), { minLength: 1, maxLength: 4 })
  .chain((layers) =>
    fc.record({
      layers: fc.constant(layers),
      order: fc.array(fc.integer({ min: -1, max: layers.length - 1 }), { minLength: 1, maxLength: 7 }),
    }),
  )
  // Distinct layers must differ, or two "different" layers would be the same blob.
  .filter(({ layers }) => new Set(layers.map((l) => JSON.stringify(l))).size === layers.length)
  // At least one real layer, so the image has something to run.
  .filter(({ order }) => order.some((i) => i >= 0));

/** The stack's layers in order, each distinct layer built once (`compression` by its index). */
export async function buildStack(
  stack: LayerStack,
  compression: (distinctIndex: number) => Compression,
): Promise<TestLayer[]> {
  const distinct = await Promise.all(
    stack.layers.map((entries, i) => makeTestLayer(entries, compression(i))),
  );
  const empty = await makeTestLayer([], compression(-1));
  return stack.order.map((i) => (i < 0 ? empty : (distinct[i] as TestLayer)));
}

/** The layers' descriptors, as a manifest lists them. */
export function descriptorsOf(layers: readonly TestLayer[]) {
  return layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length }));
}

/** The repair decision for these layers, with the facts read from their blobs as the pipeline reads them. */
export async function decideStackRepair(
  layers: readonly TestLayer[],
  config: unknown,
): Promise<RepairDecision> {
  const candidates = repairCandidates(descriptorsOf(layers), config);
  const facts = new Map<number, LayerFacts>();
  for (const i of layersToInspect(candidates)) {
    const layer = layers[i] as TestLayer;
    const compression = STREAMABLE_LAYER_TYPES[layer.mediaType] ?? 'none';
    facts.set(
      i,
      await tarFacts(Readable.from([layer.blob]), compression, { maxEntries: 100, maxBytes: 1 << 20 }),
    );
  }
  return decideRepair(candidates, facts);
}
