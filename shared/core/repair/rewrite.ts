/**
 * The repaired image's bytes (pure): the manifest without the removed layers and with the
 * annotation `dev.streamgate.repaired-from`, and a config whose `rootfs.diff_ids` follow the layers
 * and whose history marks the removed layers' steps `empty_layer: true`. Every other field is kept.
 * Both are canonical JSON (RFC 8785), so the same input always gives the same digests.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { REPAIRED_FROM_ANNOTATION } from './marker.js';
import type { LayerRemoval } from './plan.js';

export { isRepairedManifest, REPAIRED_FROM_ANNOTATION } from './marker.js';

type Json = Record<string, unknown>;

/** Bytes with their sha256 digest. */
export interface Blob {
  bytes: Buffer;
  digest: string;
}

/** A rewritten image: the new config blob and the new manifest. */
export interface RewrittenImage {
  config: Blob;
  manifest: Blob;
}

/** Canonical JSON bytes (RFC 8785: sorted keys, no whitespace) and their sha256 digest. */
export function canonicalBlob(value: unknown): Blob {
  const bytes = Buffer.from(canonicalize(value) ?? 'null', 'utf8');
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/**
 * Rewrites an image manifest and its config without the removed layers.
 *
 * @example
 *   const out = rewriteImage(manifest, config, 'sha256:old…', [{ index: 0, digest, reason: 'DUPLICATE_LAYER' }]);
 *   // out.manifest.bytes: PUT it; out.config.bytes: upload it first
 */
export function rewriteImage(
  manifest: Json,
  config: Json,
  originalDigest: string,
  removals: readonly LayerRemoval[],
): RewrittenImage {
  const removed = new Set(removals.map((r) => r.index));
  const layers = Array.isArray(manifest.layers) ? (manifest.layers as unknown[]) : [];
  const newConfig = canonicalBlob(rewriteConfig(config, layers.length, removed));
  const descriptor = isObject(manifest.config) ? manifest.config : {};
  const newManifest = {
    ...manifest,
    config: { ...descriptor, digest: newConfig.digest, size: newConfig.bytes.byteLength },
    layers: layers.filter((_, i) => !removed.has(i)),
    annotations: { ...asObject(manifest.annotations), [REPAIRED_FROM_ANNOTATION]: originalDigest },
  };
  return { config: newConfig, manifest: canonicalBlob(newManifest) };
}

function rewriteConfig(config: Json, layerCount: number, removed: ReadonlySet<number>): Json {
  const out: Json = { ...config };
  const rootfs = asObject(config.rootfs);
  if (Array.isArray(rootfs.diff_ids) && rootfs.diff_ids.length === layerCount) {
    out.rootfs = { ...rootfs, diff_ids: rootfs.diff_ids.filter((_, i) => !removed.has(i)) };
  }
  if (Array.isArray(config.history)) {
    const history = config.history as unknown[];
    const steps = history.filter((h) => !(isObject(h) && h.empty_layer === true)).length;
    // History lines up with the layers only when its non-empty steps number the layers; otherwise
    // which step made which layer is unknown, and the history is left as it was.
    if (steps === layerCount) {
      let layer = -1;
      out.history = history.map((h) => {
        if (isObject(h) && h.empty_layer === true) return h;
        layer++;
        return removed.has(layer) ? { ...asObject(h), empty_layer: true } : h;
      });
    }
  }
  return out;
}

/**
 * Rewrites an index: each replaced child gets its new digest and size, the index the annotation.
 *
 * @example
 *   rewriteIndex(index, 'sha256:oldindex…', new Map([['sha256:child…', newChild.manifest]]))
 */
export function rewriteIndex(index: Json, originalDigest: string, replaced: ReadonlyMap<string, Blob>): Blob {
  const manifests = Array.isArray(index.manifests) ? (index.manifests as unknown[]) : [];
  return canonicalBlob({
    ...index,
    manifests: manifests.map((entry) => {
      if (!isObject(entry) || typeof entry.digest !== 'string') return entry;
      const blob = replaced.get(entry.digest);
      return blob === undefined ? entry : { ...entry, digest: blob.digest, size: blob.bytes.byteLength };
    }),
    annotations: { ...asObject(index.annotations), [REPAIRED_FROM_ANNOTATION]: originalDigest },
  });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}
