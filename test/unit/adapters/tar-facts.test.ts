import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LayerReadError, normalizeTarPath, tarFacts } from '../../../shared/adapters/layers/tar-facts.js';
import { makeTestLayer, packEntries, zstdStored } from '../../helpers/tar-layers.js';

const BOUNDS = { maxEntries: 1000, maxBytes: 1 << 24 };
const stream = (bytes: Buffer) => Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]);

describe('tarFacts', () => {
  const entries = [
    { type: 'dir' as const, path: 'usr/' },
    { type: 'file' as const, path: './usr/a', content: 'a' },
    { type: 'link' as const, path: 'usr/b', target: 'usr/a' },
    { type: 'link' as const, path: 'usr/c', target: '/etc/passwd' },
    { type: 'file' as const, path: 'usr/.wh.gone', content: '' },
  ];

  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`counts entries and finds hard links outside the layer (${compression})`, async () => {
      const layer = await makeTestLayer(entries, compression);
      const facts = await tarFacts(stream(layer.blob), compression, BOUNDS);
      expect(facts).toEqual({ entries: 5, foreignHardlinks: [{ path: 'usr/c', target: 'etc/passwd' }] });
    });
  }

  it('reads an empty tar, gzip or zstd, as 0 entries', async () => {
    const tar = await packEntries([]);
    expect((await tarFacts(stream(gzipSync(tar)), 'gzip', BOUNDS)).entries).toBe(0);
    expect((await tarFacts(stream(zstdStored(tar)), 'zstd', BOUNDS)).entries).toBe(0);
    expect((await tarFacts(stream(tar), 'none', BOUNDS)).entries).toBe(0);
  });

  it('stops at the entry and byte bounds', async () => {
    const layer = await makeTestLayer(entries, 'gzip');
    await expect(tarFacts(stream(layer.blob), 'gzip', { ...BOUNDS, maxEntries: 2 })).rejects.toThrow(
      /more than 2 entries/,
    );
    const big = await makeTestLayer([{ type: 'file', path: 'big', content: 'x'.repeat(100_000) }], 'gzip');
    await expect(tarFacts(stream(big.blob), 'gzip', { ...BOUNDS, maxBytes: 10_000 })).rejects.toThrow(
      /more than 10000 bytes/,
    );
  });

  it('calls a blob that is not what its media type says unreadable', async () => {
    const layer = await makeTestLayer(entries, 'none');
    await expect(tarFacts(stream(layer.blob), 'gzip', BOUNDS)).rejects.toBeInstanceOf(LayerReadError);
    await expect(tarFacts(stream(layer.blob), 'zstd', BOUNDS)).rejects.toBeInstanceOf(LayerReadError);
  });

  it('reads a tar that ends right after its last file data, as umoci 0.4 writes them', async () => {
    const tar = await packEntries([{ type: 'file', path: 'x', content: 'xy' }]);
    const cut = tar.subarray(0, 512 + 2); // header and 2 bytes of data: no padding, no end blocks
    expect((await tarFacts(stream(gzipSync(cut)), 'gzip', BOUNDS)).entries).toBe(1);
    await expect(tarFacts(stream(tar.subarray(0, 300)), 'none', BOUNDS)).rejects.toBeInstanceOf(
      LayerReadError,
    );
  });

  it('normalises paths as layers apply them', () => {
    expect(normalizeTarPath('./usr//bin/')).toBe('usr/bin');
    expect(normalizeTarPath('/etc/passwd')).toBe('etc/passwd');
  });
});
