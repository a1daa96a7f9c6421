/**
 * Interfaces the pipeline needs from the outside world, declared in the core (types only) so the
 * adapters can implement them without importing the pipeline. Tests pass stand-ins.
 */
import type { RepositoryFactsAnswer } from './eligibility.js';
import type { ImageReference } from './image-reference.js';
import type { FetchedManifest } from './manifest.js';
import type { Platform } from './platform.js';

/** An image read from its registry: the root manifest and every index child fetched on the way. */
export interface ResolvedImage {
  /** As asked. */
  reference: ImageReference;
  /** Root digest (the tag resolved). */
  digest: string;
  /** Root document. */
  manifest: FetchedManifest;
  /** Every child fetched during index resolution, by digest. */
  manifests: Map<string, FetchedManifest>;
  /** The chosen child, when the root is an index. */
  platformDigest?: string;
  /** The image config blob of the judged manifest, when it was fetched (for `rootfs.diff_ids`). */
  config?: unknown;
}

/**
 * Reads an image from its registry. Failures are StreamgateErrors: MANIFEST_UNAVAILABLE
 * (transient), IMAGE_NOT_FOUND, DIGEST_MISMATCH, REGISTRY_AUTH_FAILED (permanent).
 */
export interface ImageResolver {
  resolve(reference: ImageReference, platform: Platform): Promise<ResolvedImage>;
}

/** Facts about the repository and project that the registry API itself does not give. */
export interface RepositoryFactsSource {
  facts(reference: ImageReference, digest: string): Promise<RepositoryFactsAnswer>;
  apiEnabled(project: string): Promise<boolean | 'unknown'>;
}
