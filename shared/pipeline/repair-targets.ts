/**
 * The manifests a repair rewrites, with what their layers showed: the image itself, or each child
 * of an index that has empty or duplicate layers. Reads through the ports only.
 */
import { StreamgateError } from '../core/errors.js';
import type { ImageReference } from '../core/image-reference.js';
import { classifyManifest, type FetchedManifest, type ImageClassified } from '../core/manifest.js';
import type { ImageContent, LayerInspector } from '../core/ports.js';
import {
  decideRepair,
  layersToInspect,
  repairCandidates,
  type LayerFacts,
  type LayerRemoval,
  type RepairDecision,
} from '../core/repair/plan.js';

/** One image manifest to rewrite. */
export interface RepairTarget {
  /** Its digest (the root's, or an index child's). */
  digest: string;
  document: Record<string, unknown>;
  mediaType: string;
  config: Record<string, unknown>;
  removals: LayerRemoval[];
}

export interface RepairReadDeps {
  content: ImageContent;
  layers: LayerInspector;
}

/**
 * Reads and decides every manifest that needs a repair under `root`. Returns the targets, or the
 * first refusal.
 */
export async function repairTargets(
  deps: RepairReadDeps,
  image: ImageReference,
  root: { digest: string; manifest: FetchedManifest },
): Promise<{ targets: RepairTarget[] } | Extract<RepairDecision, { kind: 'refused' }>> {
  const classified = classifyManifest(root.manifest.document, root.manifest.contentType);
  const manifests: { digest: string; manifest: FetchedManifest }[] =
    classified.kind === 'index'
      ? await Promise.all(
          classified.entries.map(async (entry) => ({
            digest: entry.digest,
            manifest: await deps.content.manifest(image, entry.digest),
          })),
        )
      : [root];
  const targets: RepairTarget[] = [];
  for (const { digest, manifest } of manifests) {
    const child = classifyManifest(manifest.document, manifest.contentType);
    if (child.kind !== 'image' || child.config === undefined) continue;
    const target = await readTarget(deps, image, digest, manifest, child);
    if (target === undefined) continue;
    if ('kind' in target) return target;
    targets.push(target);
  }
  return { targets };
}

async function readTarget(
  deps: RepairReadDeps,
  image: ImageReference,
  digest: string,
  manifest: FetchedManifest,
  classified: ImageClassified,
): Promise<RepairTarget | Extract<RepairDecision, { kind: 'refused' }> | undefined> {
  const config = await deps.content.config(image, classified.config?.digest ?? '');
  const candidates = repairCandidates(classified.layers, config);
  if (candidates.removals.length === 0) return undefined;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new StreamgateError('MANIFEST_UNAVAILABLE', `The config of ${digest} is not a JSON object.`, {
      kind: 'permanent',
      details: { digest },
    });
  }
  const facts = new Map<number, LayerFacts>();
  // One layer at a time: each read is streamed, and reading them in turn keeps memory flat.
  for (const index of layersToInspect(candidates)) {
    const layer = classified.layers[index];
    if (layer !== undefined) facts.set(index, await deps.layers.inspect(image, layer));
  }
  const decision = decideRepair(candidates, facts);
  if (decision.kind === 'refused') return decision;
  const document = manifest.document as Record<string, unknown>;
  const mediaType =
    classified.mediaType ?? manifest.contentType ?? 'application/vnd.oci.image.manifest.v1+json';
  return {
    digest,
    document,
    mediaType,
    config: config as Record<string, unknown>,
    removals: decision.removals,
  };
}
