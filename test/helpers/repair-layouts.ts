/**
 * OCI layouts for the repair proofs: umoci builds the layers (inserts, whiteouts, opaque
 * directories), and `composeImage` stacks any of them in any order (repeats and empty layers
 * included) into a tagged image of the same layout, with a config whose diff_ids and history
 * match. `unpackTree` unpacks an image with umoci and lists its tree for comparison.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { umoci, type OciLayout } from './skopeo-umoci.js';

/** A layer in a layout: its descriptor and its diff_id. */
export interface LayoutLayer {
  mediaType: string;
  digest: string;
  size: number;
  diffId: string;
}

/** One umoci step, each making one layer. */
export type UmociStep =
  { dir: string; files: Record<string, string>; opaque?: boolean } | { whiteout: string };

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

function blobPath(layout: OciLayout, digest: string): string {
  return join(layout.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

interface LayoutIndex {
  schemaVersion: 2;
  manifests:
    { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] | null;
}

async function manifestOf(
  layout: OciLayout,
  tag: string,
): Promise<{ layers: LayoutLayer[]; config: { digest: string } }> {
  const index = await readJson<LayoutIndex>(join(layout.dir, 'index.json'));
  const entry = (index.manifests ?? []).find(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag,
  );
  if (!entry) throw new Error(`no ${tag} in ${layout.dir}`);
  return readJson(blobPath(layout, entry.digest));
}

/**
 * Runs the umoci steps on a fresh image `tag` and returns its layers, one per step.
 *
 * @example
 *   const [a, b] = await umociLayers(layout, 'parts', [{ dir: '/etc', files: { x: '1' } }, { whiteout: '/etc/x' }]);
 */
export async function umociLayers(
  layout: OciLayout,
  tag: string,
  steps: readonly UmociStep[],
): Promise<LayoutLayer[]> {
  const image = `${layout.dir}:${tag}`;
  await umoci(['new', '--image', image]);
  const scratch = await mkdtemp(join(tmpdir(), 'streamgate-repair-src-'));
  try {
    for (const [n, step] of steps.entries()) {
      if ('whiteout' in step) {
        await umoci(['insert', '--image', image, '--whiteout', step.whiteout]);
        continue;
      }
      const source = join(scratch, `step${n}`);
      await mkdir(source, { recursive: true });
      for (const [name, content] of Object.entries(step.files)) {
        await mkdir(join(source, name, '..'), { recursive: true });
        await writeFile(join(source, name), content);
      }
      await umoci(['insert', '--image', image, ...(step.opaque ? ['--opaque'] : []), source, step.dir]);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const manifest = await manifestOf(layout, tag);
  const config = await readJson<{ rootfs: { diff_ids: string[] } }>(blobPath(layout, manifest.config.digest));
  return manifest.layers.map((layer, i) => ({ ...layer, diffId: config.rootfs.diff_ids[i] ?? '' }));
}

/** Stores a layer blob of our own (an uncompressed or zstd tar, an empty layer) in the layout. */
export async function addLayerBlob(
  layout: OciLayout,
  blob: Buffer,
  mediaType: string,
  tar: Buffer,
): Promise<LayoutLayer> {
  const digest = sha256(blob);
  await writeFile(blobPath(layout, digest), blob);
  return { mediaType, digest, size: blob.length, diffId: sha256(tar) };
}

/** Reads a gzip layer of the layout back as its tar (to re-store it in another compression). */
export async function layerTar(layout: OciLayout, layer: LayoutLayer): Promise<Buffer> {
  return gunzipSync(await readFile(blobPath(layout, layer.digest)));
}

/**
 * Writes an image tagged `tag` whose layers are `layers`, in that order.
 *
 * @example
 *   await composeImage(layout, 'aba', [a, b, a]);
 */
export async function composeImage(
  layout: OciLayout,
  tag: string,
  layers: readonly LayoutLayer[],
  options: { architecture?: string } = {},
): Promise<void> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `step ${i}` })),
    }),
  );
  const configDigest = sha256(config);
  await writeFile(blobPath(layout, configDigest), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    }),
  );
  const digest = sha256(manifest);
  await writeFile(blobPath(layout, digest), manifest);
  const index = await readJson<LayoutIndex>(join(layout.dir, 'index.json'));
  index.manifests = [
    ...(index.manifests ?? []).filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag),
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    },
  ];
  await writeFile(join(layout.dir, 'index.json'), JSON.stringify(index));
}

/** One node of an unpacked tree: type, mode, owner, and content hash or link target. */
export interface UnpackedNode {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  content?: string;
}

/** Unpacks `layoutDir:tag` with umoci and lists every path (directory mtimes are not kept). */
export async function unpackTree(layoutDir: string, tag: string): Promise<Record<string, UnpackedNode>> {
  const bundle = await mkdtemp(join(tmpdir(), 'streamgate-unpack-'));
  try {
    const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
    await umoci(['unpack', ...rootless, '--image', `${layoutDir}:${tag}`, join(bundle, 'b')], 120_000);
    const tree: Record<string, UnpackedNode> = {};
    await walk(join(bundle, 'b', 'rootfs'), '', tree);
    return tree;
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
}

async function walk(root: string, relative: string, tree: Record<string, UnpackedNode>): Promise<void> {
  for (const name of (await readdir(join(root, relative))).sort()) {
    const path = relative === '' ? name : `${relative}/${name}`;
    const stat = await lstat(join(root, path));
    const base = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
    if (stat.isSymbolicLink())
      tree[path] = { type: 'symlink', ...base, content: await readlink(join(root, path)) };
    else if (stat.isFile())
      tree[path] = { type: 'file', ...base, content: sha256(await readFile(join(root, path))) };
    else if (stat.isDirectory()) {
      tree[path] = { type: 'dir', ...base };
      await walk(root, path, tree);
    } else tree[path] = { type: 'other', ...base };
  }
}
