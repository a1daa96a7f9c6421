/**
 * The `LayerInspector` port over the registry client: streams a layer blob (verified against its
 * digest on the way) through `tarFacts`, bounded in entries, bytes and time.
 */
import { isStreamgateError, StreamgateError } from '../../core/errors.js';
import { registryAuthority, type ImageReference } from '../../core/image-reference.js';
import type { Readable } from 'node:stream';
import { STREAMABLE_LAYER_TYPES, type LayerCompression } from '../../core/media-types.js';
import { HttpTimeoutError } from '../registry/http.js';
import type { LayerDescriptor, LayerInspector } from '../../core/ports.js';
import type { LayerFacts } from '../../core/repair/plan.js';
import type { RegistryClient } from '../registry/client.js';
import { LayerReadError, tarFacts, type TarBounds } from './tar-facts.js';

export interface LayerInspectorOptions extends Partial<TarBounds> {
  /** Longest one layer download may take. Default 10 minutes. */
  timeoutMs?: number;
}

/**
 * Reads layers from the registry.
 *
 * @example
 *   const facts = await new RegistryLayerInspector(client).inspect(image, manifest.layers[0]);
 */
export class RegistryLayerInspector implements LayerInspector {
  private readonly bounds: TarBounds;
  private readonly timeoutMs: number;
  /** Layers read so far, and their compressed bytes (for reports and benchmarks). */
  readonly stats = { layers: 0, bytes: 0 };

  constructor(
    private readonly client: RegistryClient,
    options: LayerInspectorOptions = {},
  ) {
    this.bounds = { maxEntries: options.maxEntries ?? 500_000, maxBytes: options.maxBytes ?? 64 * 1024 ** 3 };
    this.timeoutMs = options.timeoutMs ?? 600_000;
  }

  async inspect(image: ImageReference, layer: LayerDescriptor): Promise<LayerFacts> {
    const repo = { authority: registryAuthority(image), name: image.path };
    const compression = STREAMABLE_LAYER_TYPES[layer.mediaType ?? ''] ?? 'none';
    // A zero-byte blob is no tar at all, and holds nothing.
    if (layer.size === 0) return { entries: 0, foreignHardlinks: [] };
    try {
      const stream = await this.client.openBlob(repo, layer.digest, this.timeoutMs);
      return await this.read(stream, compression, layer);
    } catch (error) {
      // The time bound is a bound like the others: a layer too slow to read is not repaired (and
      // a retry would only time out again).
      if (!isTimeout(error)) throw error;
      throw new StreamgateError(
        'REPAIR_LAYER_UNREADABLE',
        `Layer ${layer.digest} could not be read within ${Math.round(this.timeoutMs / 1000)} s.`,
        { kind: 'permanent', cause: error, details: { digest: layer.digest, timeoutMs: this.timeoutMs } },
      );
    }
  }

  private async read(
    stream: Readable,
    compression: LayerCompression,
    layer: LayerDescriptor,
  ): Promise<LayerFacts> {
    stream.on('data', (chunk: Buffer) => (this.stats.bytes += chunk.byteLength));
    try {
      const facts = await tarFacts(stream, compression, this.bounds);
      this.stats.layers++;
      return facts;
    } catch (error) {
      if (!(error instanceof LayerReadError)) throw asTransient(error, layer.digest);
      throw new StreamgateError(
        'REPAIR_LAYER_UNREADABLE',
        `Layer ${layer.digest} could not be read: ${error.message}.`,
        {
          kind: 'permanent',
          cause: error,
          details: { digest: layer.digest, mediaType: layer.mediaType ?? null },
        },
      );
    } finally {
      stream.destroy();
    }
  }
}

/** A download that failed part way (network, timeout) can be tried again; typed errors pass as they are. */
function asTransient(error: unknown, digest: string): unknown {
  if (isStreamgateError(error)) return error;
  return new StreamgateError('MANIFEST_UNAVAILABLE', `Reading layer ${digest} failed: ${String(error)}.`, {
    kind: 'transient',
    cause: error,
    details: { digest },
  });
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof HttpTimeoutError ||
    (error instanceof Error && (error.cause instanceof HttpTimeoutError || error.name === 'AbortError'))
  );
}
