/**
 * Resolves an image reference through the registry: tag → digest, root manifest, the index walk
 * (the walk itself is the pure core `resolveIndex`; this file only fetches what it asks for) and,
 * optionally, the image config of the manifest that will be judged.
 */
import { isStreamgateError } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import { registryAuthority } from '../../core/image-reference.js';
import { DEFAULT_MAX_INDEX_DEPTH, resolveIndex } from '../../core/index-resolution.js';
import { classifyManifest, type FetchedManifest } from '../../core/manifest.js';
import type { Platform } from '../../core/platform.js';
import type { ImageResolver, ResolvedImage } from '../../core/ports.js';
import type { Logger } from '../logger.js';
import type { RegistryClient, RepositoryLocator } from './client.js';

export interface RegistryImageResolverOptions {
  /** Also fetch the image config blob of the judged manifest. Default true. */
  fetchConfig?: boolean;
  /** Largest config blob read. Default 1 MiB. */
  maxConfigBytes?: number;
  /** Index nesting limit handed to the core walk. */
  maxIndexDepth?: number;
  /** Most manifests fetched for one image (bounds the walk). Default 32. */
  maxFetches?: number;
  logger?: Logger;
}

/** The tag used when a reference names neither tag nor digest. */
const DEFAULT_TAG = 'latest';

/**
 * Implements the pipeline's `ImageResolver` port with a `RegistryClient`.
 *
 * @example
 *   const resolver = new RegistryImageResolver(new RegistryClient());
 *   const image = await resolver.resolve(parseImageReference('us-docker.pkg.dev/p/r/app:1'), DEFAULT_PLATFORM);
 *   judge({ manifest: image.manifest, digest: image.digest, manifests: image.manifests, config: image.config });
 */
export class RegistryImageResolver implements ImageResolver {
  private readonly fetchConfig: boolean;
  private readonly maxConfigBytes: number;
  private readonly maxIndexDepth: number;
  private readonly maxFetches: number;

  constructor(
    private readonly client: RegistryClient,
    private readonly options: RegistryImageResolverOptions = {},
  ) {
    this.fetchConfig = options.fetchConfig ?? true;
    this.maxConfigBytes = options.maxConfigBytes ?? 1024 * 1024;
    this.maxIndexDepth = options.maxIndexDepth ?? DEFAULT_MAX_INDEX_DEPTH;
    this.maxFetches = options.maxFetches ?? 32;
  }

  async resolve(reference: ImageReference, platform: Platform): Promise<ResolvedImage> {
    const repo: RepositoryLocator = { authority: registryAuthority(reference), name: reference.path };
    const digest = reference.digest ?? (await this.client.resolveTag(repo, reference.tag ?? DEFAULT_TAG));
    const root = await this.client.getManifest(repo, digest);
    const manifest = fetched(root);
    const manifests = new Map<string, FetchedManifest>();
    const lookup = (d: string) => (d === digest ? manifest : manifests.get(d));

    let chosen: string | undefined;
    // Each round fetches at least one new manifest, and maxFetches bounds the rounds.
    for (let fetches = 0; ;) {
      const step = resolveIndex(digest, lookup, platform, this.maxIndexDepth);
      // The walk may pick a child it has not seen yet; fetch it so the core can judge its content.
      const wanted =
        step.status === 'missing'
          ? step.digests
          : step.status === 'resolved' && lookup(step.digest) === undefined
            ? [step.digest]
            : undefined;
      if (wanted === undefined) {
        if (step.status === 'resolved') chosen = step.digest;
        break;
      }
      fetches += wanted.length;
      if (fetches > this.maxFetches) {
        this.options.logger?.warn('index walk fetched too many manifests; judging without a child', {
          digest,
        });
        break;
      }
      for (const child of await Promise.all(wanted.map((d) => this.client.getManifest(repo, d)))) {
        manifests.set(child.digest, fetched(child));
      }
    }

    const image: ResolvedImage = { reference, digest, manifest, manifests };
    if (chosen !== undefined && chosen !== digest) image.platformDigest = chosen;
    if (this.fetchConfig && chosen !== undefined) {
      const config = await this.readConfig(repo, lookup(chosen));
      if (config !== undefined) image.config = config;
    }
    return image;
  }

  /**
   * The config blob of an image manifest. A missing, oversized or non-JSON config only means the
   * core judges without it; an unreachable registry or a digest mismatch still fails the resolve.
   */
  private async readConfig(repo: RepositoryLocator, target: FetchedManifest | undefined): Promise<unknown> {
    if (target === undefined) return undefined;
    const classified = classifyManifest(target.document, target.contentType);
    if (classified.kind !== 'image' || classified.config === undefined) return undefined;
    const configDigest = classified.config.digest;
    try {
      const bytes = await this.client.getBlob(repo, configDigest, this.maxConfigBytes);
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      // Retrying cannot bring these back, and the config is optional evidence; the rest must surface.
      const skippable =
        error instanceof SyntaxError ||
        (isStreamgateError(error) &&
          error.kind === 'permanent' &&
          error.code !== 'DIGEST_MISMATCH' &&
          error.code !== 'REGISTRY_AUTH_FAILED');
      if (!skippable) throw error;
      this.options.logger?.warn('image config not read; judging without it', { configDigest, error });
      return undefined;
    }
  }
}

function fetched(manifest: { document: unknown; contentType?: string }): FetchedManifest {
  return manifest.contentType === undefined
    ? { document: manifest.document }
    : { document: manifest.document, contentType: manifest.contentType };
}
