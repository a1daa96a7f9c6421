import { classifyManifest, type FetchedManifest, type IndexClassified } from './manifest.js';
import type { LooseDescriptor } from './manifest-schemas.js';
import {
  IMAGE_CONFIG_MEDIA_TYPES,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  SCHEMA1_MEDIA_TYPES,
  STREAMABLE_LAYER_TYPES,
} from './media-types.js';
import { DEFAULT_PLATFORM, platformMatches, type Platform } from './platform.js';

/**
 * Picks the child of a Docker manifest list / OCI index that a VM of the wanted platform would
 * run. Pure and step-wise: the caller fetches whatever is `missing` and calls again.
 */

export type ManifestLookup = (digest: string) => FetchedManifest | undefined;

export type IndexResolution =
  /** `path` runs from the root to the chosen child, both included. */
  | { status: 'resolved'; digest: string; path: string[] }
  | { status: 'missing'; digests: string[] }
  | { status: 'no-match' }
  | { status: 'error'; code: 'MALFORMED'; message: string };

export const DEFAULT_MAX_INDEX_DEPTH = 4;
export const ZSTD_ANNOTATION = 'io.github.containers.compression.zstd';

/** Index entries split by how they can serve the wanted platform. */
export interface IndexCandidates {
  /** Entries whose platform matches, non-zstd variants first (as containers/image chooses). */
  matching: LooseDescriptor[];
  /** Entries without a platform: nested indexes to descend into, or manifests whose platform is unknown. */
  platformless: LooseDescriptor[];
  /** `unknown/unknown` entries (attestations, BuildKit references). */
  references: LooseDescriptor[];
  /** Entries whose media type is not a manifest or index (e.g. application/xml). */
  nonManifests: LooseDescriptor[];
}

/** True when the descriptor points at an index (by its declared media type). */
export function isIndexDescriptor(entry: LooseDescriptor): boolean {
  return entry.mediaType !== undefined && INDEX_MEDIA_TYPES.includes(entry.mediaType);
}

/** True when a descriptor may point at a manifest: no type, a known type, or a manifest-looking one. */
export function isManifestLikeDescriptor(entry: LooseDescriptor): boolean {
  const type = entry.mediaType;
  if (type === undefined) return true;
  if ([...INDEX_MEDIA_TYPES, ...IMAGE_MANIFEST_MEDIA_TYPES, ...SCHEMA1_MEDIA_TYPES].includes(type))
    return true;
  return /manifest|index|list/.test(type) && !type.startsWith('application/vnd.oci.descriptor');
}

export function hasZstdAnnotation(entry: LooseDescriptor): boolean {
  return entry.annotations?.[ZSTD_ANNOTATION] === 'true';
}

/** Sorts an index's entries for the wanted platform. */
export function indexCandidates(
  index: IndexClassified,
  platform: Platform = DEFAULT_PLATFORM,
): IndexCandidates {
  const out: IndexCandidates = { matching: [], platformless: [], references: [], nonManifests: [] };
  const artifactIndex =
    index.artifactType !== undefined && !IMAGE_CONFIG_MEDIA_TYPES.includes(index.artifactType);
  for (const entry of index.entries) {
    if (!isManifestLikeDescriptor(entry)) {
      out.nonManifests.push(entry);
    } else if (entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown') {
      out.references.push(entry);
    } else if (entry.artifactType !== undefined && !IMAGE_CONFIG_MEDIA_TYPES.includes(entry.artifactType)) {
      // An artifact (SBOM, signature…) listed in the index: never a runnable child.
    } else if (entry.platform === undefined) {
      // Children of an artifact index are artifacts too, so they cannot stand in for a platform.
      if (!artifactIndex) out.platformless.push(entry);
    } else if (platformMatches(entry.platform, platform)) {
      out.matching.push(entry);
    }
  }
  out.matching = [
    ...out.matching.filter((entry) => !hasZstdAnnotation(entry)),
    ...out.matching.filter(hasZstdAnnotation),
  ];
  return out;
}

/**
 * Walks an index (and nested indexes) to the child for `platform`.
 *
 * @example
 *   const docs = new Map([[rootDigest, { document: index }]]);
 *   resolveIndex(rootDigest, (d) => docs.get(d)); // { status: 'resolved', digest: 'sha256:…', path: [root, child] }
 */
export function resolveIndex(
  rootDigest: string,
  lookup: ManifestLookup,
  platform: Platform = DEFAULT_PLATFORM,
  maxDepth: number = DEFAULT_MAX_INDEX_DEPTH,
): IndexResolution {
  return walk(rootDigest, [], lookup, platform, maxDepth);
}

function walk(
  digest: string,
  parents: string[],
  lookup: ManifestLookup,
  platform: Platform,
  maxDepth: number,
): IndexResolution {
  const path = [...parents, digest];
  if (parents.includes(digest)) {
    return {
      status: 'error',
      code: 'MALFORMED',
      message: `Index ${digest} refers back to itself through its children.`,
    };
  }
  const fetched = lookup(digest);
  if (fetched === undefined) return { status: 'missing', digests: [digest] };
  const classified = classifyManifest(fetched.document, fetched.contentType);
  // Judge by content: a child declared as a manifest may really be an index, and vice versa.
  if (classified.kind !== 'index') return { status: 'resolved', digest, path };
  if (parents.length >= maxDepth) {
    return {
      status: 'error',
      code: 'MALFORMED',
      message: `Indexes are nested more than ${maxDepth} levels deep below ${path[0] ?? digest}.`,
    };
  }
  const candidates = indexCandidates(classified, platform);
  let zstdFallback: IndexResolution | undefined;
  for (const entry of [...candidates.matching, ...candidates.platformless]) {
    if (path.includes(entry.digest)) {
      return {
        status: 'error',
        code: 'MALFORMED',
        message: `Index ${digest} lists itself or a parent (${entry.digest}).`,
      };
    }
    const child = lookup(entry.digest);
    if (child === undefined) {
      if (isIndexDescriptor(entry)) return { status: 'missing', digests: [entry.digest] };
      return { status: 'resolved', digest: entry.digest, path: [...path, entry.digest] };
    }
    const result = walk(entry.digest, path, lookup, platform, maxDepth);
    if (result.status === 'no-match') continue;
    if (result.status === 'resolved' && hasOnlyZstdLayers(lookup(result.digest))) {
      zstdFallback ??= result;
      continue;
    }
    return result;
  }
  return zstdFallback ?? { status: 'no-match' };
}

function hasOnlyZstdLayers(fetched: FetchedManifest | undefined): boolean {
  if (fetched === undefined) return false;
  const classified = classifyManifest(fetched.document, fetched.contentType);
  if (classified.kind !== 'image' || classified.layers.length === 0) return false;
  return classified.layers.some(
    (layer) => layer.mediaType !== undefined && STREAMABLE_LAYER_TYPES[layer.mediaType] === 'zstd',
  );
}
