/**
 * Reads a layer's tar headers as a stream (gzip, zstd or plain tar) and tells what a repair needs:
 * how many entries it has and which hard links point outside it. File contents pass through and
 * are dropped; only the paths seen so far are kept, so memory grows with the entry count (bounded),
 * never with the layer's size.
 */
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { extract } from 'tar-stream';
import type { LayerFacts } from '../../core/repair/plan.js';
import type { LayerCompression } from '../../core/media-types.js';

/** Limits of one layer read. */
export interface TarBounds {
  /** Most tar entries read. */
  maxEntries: number;
  /** Most uncompressed bytes read. */
  maxBytes: number;
}

/** The layer went past a bound, or is not a tar in the compression its media type names. */
export class LayerReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LayerReadError';
  }
}

/** A `/`-free, `./`-free path, so entry names and link targets compare as the layer applies them. */
export function normalizeTarPath(name: string): string {
  return name
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

/**
 * Reads `source` to its end and returns the facts.
 *
 * @example
 *   const facts = await tarFacts(createReadStream('layer.tar.gz'), 'gzip', { maxEntries: 1e6, maxBytes: 1 << 34 });
 */
export async function tarFacts(
  source: Readable,
  compression: LayerCompression,
  bounds: TarBounds,
): Promise<LayerFacts> {
  const seen = new Set<string>();
  const facts: LayerFacts = { entries: 0, foreignHardlinks: [] };
  const parser = extract();
  parser.on('entry', (header, stream, next) => {
    facts.entries++;
    if (facts.entries > bounds.maxEntries) {
      next(new LayerReadError(`the layer has more than ${bounds.maxEntries} entries`));
      return;
    }
    const path = normalizeTarPath(header.name);
    if (header.type === 'link' && typeof header.linkname === 'string') {
      const target = normalizeTarPath(header.linkname);
      // A tar can only link to an entry it already wrote; anything else comes from another layer.
      if (!seen.has(target) && facts.foreignHardlinks.length < 16)
        facts.foreignHardlinks.push({ path, target });
    }
    seen.add(path);
    stream.on('end', () => next());
    stream.resume();
  });
  try {
    const stages: NodeJS.ReadWriteStream[] = [...decompressor(compression), byteLimit(bounds.maxBytes)];
    await pipeline([source, ...stages, parser]);
  } catch (error) {
    // The source's own failures (a digest mismatch, a timeout) are not the layer's fault.
    if (error instanceof LayerReadError || source.errored === error) throw error;
    throw new LayerReadError(`the layer is not a readable ${describe(compression)}`, { cause: error });
  }
  return facts;
}

function describe(compression: LayerCompression): string {
  return compression === 'none' ? 'tar' : `${compression}-compressed tar`;
}

function decompressor(compression: LayerCompression): Transform[] {
  if (compression === 'gzip') return [createGunzip()];
  if (compression === 'zstd') return [zstdStream()];
  return [];
}

/**
 * Counts the uncompressed bytes, so a decompression bomb stops at the bound. At the end it pads the
 * tar to a whole 512-byte block: some writers (umoci 0.4) end a layer right after the last file's
 * data, without padding or end-of-archive blocks, and Go's archive/tar, which runtimes unpack with,
 * reads such a tar to its end without complaint.
 */
function byteLimit(maxBytes: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.byteLength;
      if (total > maxBytes) callback(new LayerReadError(`the layer holds more than ${maxBytes} bytes`));
      else callback(null, chunk);
    },
    flush(callback) {
      const short = (512 - (total % 512)) % 512;
      callback(null, short === 0 ? undefined : Buffer.alloc(short));
    },
  });
}

/** fzstd's streaming decompressor as a Node Transform (Node 20's zlib has no zstd). */
function zstdStream(): Transform {
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        zstd.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        zstd.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const zstd = new Decompress((data) => {
    transform.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  return transform;
}
