/**
 * Proof with real tools: umoci builds the images, skopeo pushes them into Debian's docker-registry,
 * `bin/streamgate fix` repairs them, skopeo copies original and repaired back into OCI layouts,
 * umoci unpacks both, and the trees (paths, types, modes, owners, contents, symlink targets) must
 * be the same. The repaired image must check eligible and the original must be unchanged.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GZIPPED_EMPTY_TAR } from '../../helpers/oci-images.js';
import { runStreamgateBin } from '../../helpers/streamgate-bin.js';
import {
  describeDockerRegistryTier,
  startDockerRegistry,
  type RunningDockerRegistry,
} from '../../helpers/docker-registry.js';
import {
  addOciIndex,
  describeSkopeoUmociTier,
  newOciLayout,
  skopeoCopy,
  skopeoInspect,
  skopeoPull,
  type OciLayout,
} from '../../helpers/skopeo-umoci.js';
import {
  addLayerBlob,
  composeImage,
  layerTar,
  umociLayers,
  unpackTree,
  type LayoutLayer,
} from '../../helpers/repair-layouts.js';
import { makeTestLayer, zstdStored } from '../../helpers/tar-layers.js';

const HOST = 'us-central1-docker.pkg.dev';

const streamgate = runStreamgateBin;

describeSkopeoUmociTier('repair proven with skopeo, umoci and docker-registry', () => {
  describeDockerRegistryTier('streamgate fix on umoci-built images', () => {
    let registry: RunningDockerRegistry;
    let layout: OciLayout;
    let pulled: OciLayout;
    let hostPort = '';

    beforeAll(async () => {
      registry = await startDockerRegistry();
      hostPort = registry.url.replace('http://', '');
      layout = await newOciLayout();
      pulled = await newOciLayout();
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      await layout?.remove();
      await pulled?.remove();
    });

    async function push(tag: string, name: string, all = false): Promise<void> {
      await skopeoCopy(`oci:${layout.dir}:${tag}`, `docker://${hostPort}/p/r/${name}:v1`, { all });
    }

    /** fix, then: eligible check, original unchanged, and the same unpacked tree (per architecture). */
    async function repairAndCompare(
      name: string,
      arches: string[] = ['amd64'],
    ): Promise<{ removed: unknown[] }> {
      const before = await skopeoInspect(`docker://${hostPort}/p/r/${name}:v1`, { raw: true });
      const fixed = await streamgate(['fix', `${HOST}/p/r/${name}:v1`, '--json'], registry.url);
      expect(fixed.stderr).toBe('');
      expect(fixed.code).toBe(0);
      const result = JSON.parse(fixed.stdout) as { removed: unknown[]; verdict: string; tag: string };
      expect(result).toMatchObject({ verdict: 'eligible', tag: 'v1-streamable' });
      const checked = await streamgate(
        ['check', `${HOST}/p/r/${name}:v1-streamable`, '--json'],
        registry.url,
      );
      expect(checked.code).toBe(0);
      expect(await skopeoInspect(`docker://${hostPort}/p/r/${name}:v1`, { raw: true })).toEqual(before);
      for (const arch of arches) {
        await skopeoPull(`docker://${hostPort}/p/r/${name}:v1`, `oci:${pulled.dir}:${name}-${arch}-o`, {
          arch,
          gzip: true,
        });
        await skopeoPull(
          `docker://${hostPort}/p/r/${name}:v1-streamable`,
          `oci:${pulled.dir}:${name}-${arch}-r`,
          {
            arch,
            gzip: true,
          },
        );
        const original = await unpackTree(pulled.dir, `${name}-${arch}-o`);
        const repaired = await unpackTree(pulled.dir, `${name}-${arch}-r`);
        expect(Object.keys(original).length).toBeGreaterThan(1);
        expect(repaired).toEqual(original);
      }
      return result;
    }

    it('A B A, where B deletes (whiteout) and re-creates a file of A', async () => {
      const [a, whiteout, recreate] = await umociLayers(layout, 'wh-parts', [
        { dir: '/etc/app', files: { 'app.conf': 'one\n', keep: 'k\n' } },
        { whiteout: '/etc/app/app.conf' },
        { dir: '/etc/app', files: { 'app.conf': 'two\n' } },
      ]);
      await composeImage(layout, 'wh', [a, whiteout, recreate, a] as LayoutLayer[]);
      await push('wh', 'whiteout');
      const result = await repairAndCompare('whiteout');
      expect(result.removed).toEqual([{ digest: a?.digest, index: 0, reason: 'DUPLICATE_LAYER' }]);
    }, 240_000);

    it('A B A, where B makes a directory of A opaque', async () => {
      const [a, opaque] = await umociLayers(layout, 'opq-parts', [
        { dir: '/opt/tool', files: { x: 'x\n', 'sub/y': 'y\n' } },
        { dir: '/opt/tool', files: { z: 'z\n' }, opaque: true },
      ]);
      await composeImage(layout, 'opq', [a, opaque, a] as LayoutLayer[]);
      await push('opq', 'opaque');
      expect((await repairAndCompare('opaque')).removed).toHaveLength(1);
    }, 240_000);

    it('empty layers at the start, in the middle and at the end', async () => {
      const [a, b] = await umociLayers(layout, 'empty-parts', [
        { dir: '/srv', files: { a: 'a\n' } },
        { dir: '/srv', files: { b: 'b\n' } },
      ]);
      const empty = await addLayerBlob(
        layout,
        GZIPPED_EMPTY_TAR,
        'application/vnd.oci.image.layer.v1.tar+gzip',
        Buffer.alloc(1024),
      );
      await composeImage(layout, 'empty', [empty, a, empty, b, empty] as LayoutLayer[]);
      await push('empty', 'empty');
      const result = await repairAndCompare('empty');
      expect(result.removed.map((r) => (r as { index: number }).index)).toEqual([0, 2, 4]);
    }, 240_000);

    it('a 2-platform index with a duplicate in one child', async () => {
      const [a, b] = await umociLayers(layout, 'idx-parts', [
        { dir: '/app', files: { bin: 'amd\n' } },
        { dir: '/app', files: { conf: 'c\n' } },
      ]);
      await composeImage(layout, 'idx-amd', [a, b, a] as LayoutLayer[]);
      await composeImage(layout, 'idx-arm', [a, b] as LayoutLayer[], { architecture: 'arm64' });
      await addOciIndex(layout, 'idx', ['idx-amd', 'idx-arm']);
      await push('idx', 'multi', true);
      await repairAndCompare('multi', ['amd64', 'arm64']);
    }, 240_000);

    it('a gzip, an uncompressed and a zstd layer, each repeated', async () => {
      const [g, u0, z0] = await umociLayers(layout, 'mix-parts', [
        { dir: '/g', files: { g: 'g\n' } },
        { dir: '/u', files: { u: 'u\n' } },
        { dir: '/z', files: { z: 'z\n' } },
      ]);
      const uTar = await layerTar(layout, u0 as LayoutLayer);
      const zTar = await layerTar(layout, z0 as LayoutLayer);
      const u = await addLayerBlob(layout, uTar, 'application/vnd.oci.image.layer.v1.tar', uTar);
      const zBlob = await zstdCompress(zTar);
      const z = await addLayerBlob(layout, zBlob, 'application/vnd.oci.image.layer.v1.tar+zstd', zTar);
      await composeImage(layout, 'mix', [g, u, z, g, u, z] as LayoutLayer[]);
      await push('mix', 'mixed');
      const result = await repairAndCompare('mixed');
      expect(result.removed.map((r) => (r as { index: number }).index)).toEqual([0, 1, 2]);
    }, 240_000);

    it('refuses a hard link between two copies, and pushes nothing', async () => {
      const [a] = await umociLayers(layout, 'hl-parts', [{ dir: '/usr', files: { a: 'a\n' } }]);
      const link = await makeTestLayer([{ type: 'link', path: 'usr/b', target: 'usr/a' }], 'gzip');
      const b = await addLayerBlob(layout, link.blob, link.mediaType, link.tar);
      await composeImage(layout, 'hl', [a, b, a] as LayoutLayer[]);
      await push('hl', 'hardlink');
      const fixed = await streamgate(['fix', `${HOST}/p/r/hardlink:v1`, '--json'], registry.url);
      expect(fixed.code).toBe(1);
      expect(
        (JSON.parse(fixed.stdout) as { reasons: { code: string }[] }).reasons.map((r) => r.code),
      ).toEqual(['DUPLICATE_LAYER', 'REPAIR_UNSAFE_HARDLINK']);
      await expect(
        skopeoInspect(`docker://${hostPort}/p/r/hardlink:v1-streamable`, { raw: true }),
      ).rejects.toThrow();
    }, 240_000);
  });
});

/**
 * Compresses with Debian's `zstd` binary (installed by .ci/run with the other tools). Without it
 * (outside CI) the layer is a stored-block zstd frame, still real zstd, and a banner says so.
 */
function zstdCompress(data: Buffer): Promise<Buffer> {
  if (!existsSync('/usr/bin/zstd') && process.env.CI !== 'true') {
    console.warn(
      '#  zstd binary missing: the zstd layer is written as stored blocks (install Debian "zstd")',
    );
    return Promise.resolve(zstdStored(data));
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      'zstd',
      ['-q', '-c'],
      { encoding: 'buffer', maxBuffer: 64 << 20, timeout: 60_000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(data);
  });
}
