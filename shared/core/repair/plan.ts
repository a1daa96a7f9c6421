/**
 * Which layers a repair may drop, and whether it may (pure). An empty layer changes nothing, and
 * of a layer that appears twice the earlier copy can go: layers apply in order and the last writer
 * of a path wins, so the later copy re-sets (or removes again) everything the earlier one set,
 * whiteouts and opaque directories included. The exception is a layer between the two copies that
 * hard-links to a path it does not hold itself: that path may be one only the earlier copy gives.
 */
import { emptyCause } from '../eligibility-rules/manifest-rules.js';
import { ImageConfigSchema, type LooseDescriptor } from '../manifest-schemas.js';
import { EMPTY_DIGESTS, shortDigest } from '../media-types.js';
import type { Finding, ReasonCode } from '../reason-codes.js';

/** Why a layer is removed. */
type RemovalReason = 'EMPTY_LAYER' | 'DUPLICATE_LAYER';

/** One layer a repair removes: its position (0-based) in the original manifest. */
export interface LayerRemoval {
  digest: string;
  index: number;
  reason: RemovalReason;
}

/** What a layer's tar headers showed (see the `LayerInspector` port). */
export interface LayerFacts {
  /** Tar entries in the layer; 0 means it changes nothing. */
  entries: number;
  /** Hard links whose target is not a path the same layer holds (before the link). */
  foreignHardlinks: { path: string; target: string }[];
}

/** What must be read before deciding: layers to confirm empty, layers between duplicate copies. */
export interface RepairCandidates {
  /** Removals, if the layer facts allow them. */
  removals: LayerRemoval[];
  /** Layer positions to confirm as empty (their entry count must be 0). */
  confirmEmpty: number[];
  /** Layer positions that lie between two copies of a layer (their hard links are checked). */
  between: number[];
}

/**
 * Finds the candidate removals of an image manifest's layers: empty layers (by descriptor, or by
 * the config's diff_id being the empty tar) and every copy of a layer but the last (by digest, or
 * by diff_id when the config lists one per layer).
 *
 * @example
 *   repairCandidates([a, b, a], undefined).removals // [{ digest: a.digest, index: 0, reason: 'DUPLICATE_LAYER' }]
 */
export function repairCandidates(layers: readonly LooseDescriptor[], config: unknown): RepairCandidates {
  const parsed = config === undefined ? undefined : ImageConfigSchema.safeParse(config);
  const diffIds = parsed?.success ? parsed.data.rootfs?.diff_ids : undefined;
  const diffOf = (i: number) => (diffIds?.length === layers.length ? diffIds[i] : undefined);
  const removals: LayerRemoval[] = [];
  const confirmEmpty: number[] = [];
  const between = new Set<number>();
  layers.forEach((layer, i) => {
    if (emptyCause(layer) !== undefined || diffOf(i) === EMPTY_DIGESTS.emptyTar) {
      removals.push({ digest: layer.digest, index: i, reason: 'EMPTY_LAYER' });
      confirmEmpty.push(i);
      return;
    }
    const last = lastCopy(layers, i, diffOf);
    if (last === i) return;
    removals.push({ digest: layer.digest, index: i, reason: 'DUPLICATE_LAYER' });
    for (let k = i + 1; k < last; k++) between.add(k);
  });
  return { removals, confirmEmpty, between: [...between].sort((a, b) => a - b) };
}

/**
 * The layers whose contents decide a repair, each once: the empties to confirm and the layers
 * between copies.
 *
 * @example
 *   layersToInspect({ removals, confirmEmpty: [2], between: [1, 2] }) // [2, 1]
 */
export function layersToInspect(candidates: RepairCandidates): number[] {
  return [...new Set([...candidates.confirmEmpty, ...candidates.between])];
}

/** The position of the last layer that is the same as layer `i` (itself when none follows). */
function lastCopy(
  layers: readonly LooseDescriptor[],
  i: number,
  diffOf: (i: number) => string | undefined,
): number {
  const digest = layers[i]?.digest;
  const diff = diffOf(i);
  for (let j = layers.length - 1; j > i; j--) {
    if (layers[j]?.digest === digest || (diff !== undefined && diffOf(j) === diff)) return j;
  }
  return i;
}

/** The decision: the removals to make, or why the image cannot be repaired. */
export type RepairDecision =
  { kind: 'repair'; removals: LayerRemoval[] } | { kind: 'refused'; reasons: Finding<ReasonCode>[] };

/**
 * Decides with the layer facts in hand: an "empty" layer that holds entries stays (and keeps its
 * EMPTY_LAYER reason), and any foreign hard link between two copies refuses the whole repair
 * (REPAIR_UNSAFE_HARDLINK). `facts` holds every position `repairCandidates` asked for.
 *
 * @example
 *   decideRepair(candidates, new Map([[1, { entries: 3, foreignHardlinks: [] }]])) // { kind: 'repair', … }
 */
export function decideRepair(
  candidates: RepairCandidates,
  facts: ReadonlyMap<number, LayerFacts>,
): RepairDecision {
  for (const k of candidates.between) {
    const link = facts.get(k)?.foreignHardlinks[0];
    if (link === undefined) continue;
    return {
      kind: 'refused',
      reasons: [
        {
          code: 'REPAIR_UNSAFE_HARDLINK',
          message: `Layer ${k + 1} lies between two copies of a layer and hard-links ${quotePath(link.path)} to ${quotePath(link.target)}, which that layer does not hold; dropping the earlier copy could break the link, so the image was not repaired — rebuild it without the duplicate layer.`,
        },
      ],
    };
  }
  const removals = candidates.removals.filter(
    (removal) => removal.reason !== 'EMPTY_LAYER' || facts.get(removal.index)?.entries === 0,
  );
  return { kind: 'repair', removals };
}

function quotePath(path: string): string {
  return JSON.stringify(path.length > 120 ? `${path.slice(0, 120)}…` : path);
}

/** One line per removal, for people: `layer 3 (sha256:abcd…): duplicate of a later layer`. */
export function describeRemoval(removal: LayerRemoval): string {
  const why = removal.reason === 'EMPTY_LAYER' ? 'empty' : 'an earlier copy of a later layer';
  return `layer ${removal.index + 1} (${shortDigest(removal.digest)}): ${why}`;
}
