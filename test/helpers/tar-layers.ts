/**
 * Test layers with everything a layer can hold (files, directories, symlinks, hard links, whiteouts,
 * opaque markers), packed with tar-stream and stored gzip, zstd or plain; and our own small tar
 * applier, which applies layers in order the way the OCI image spec says, to compare final trees.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { Readable } from 'node:stream';

/** One tar entry. Paths are relative (`etc/x`); a whiteout is `dir/.wh.name`, opaque `dir/.wh..wh..opq`. */
export type LayerEntry =
  | { type: 'file'; path: string; content: string; mode?: number; uid?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'link'; path: string; target: string };

export type Compression = 'gzip' | 'zstd' | 'none';

const MEDIA: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export interface TestLayer {
  blob: Buffer;
  digest: string;
  diffId: string;
  mediaType: string;
  tar: Buffer;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Packs entries into an uncompressed tar (fixed mtimes, so bytes are reproducible). */
export async function packEntries(entries: readonly LayerEntry[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  packer.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    packer.on('end', resolve);
    packer.on('error', reject);
  });
  const mtime = new Date(0);
  for (const entry of entries) {
    if (entry.type === 'file') {
      packer.entry(
        { name: entry.path, mode: entry.mode ?? 0o644, uid: entry.uid ?? 0, gid: 0, mtime },
        entry.content,
      );
    } else if (entry.type === 'dir') {
      packer.entry({ name: entry.path, type: 'directory', mode: entry.mode ?? 0o755, mtime });
    } else {
      packer.entry({
        name: entry.path,
        type: entry.type === 'symlink' ? 'symlink' : 'link',
        linkname: entry.target,
        mode: 0o777,
        mtime,
      });
    }
  }
  packer.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * A zstd frame of raw (stored) blocks: valid zstd that any decoder reads, written without an
 * encoder (Node 20's zlib has none). The tool tier uses the real `zstd` binary instead.
 */
export function zstdStored(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  // Magic, then a frame header: Single_Segment unset, no checksum, window descriptor for 8 MiB.
  parts.push(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]));
  const max = 128 * 1024 - 1;
  if (data.length === 0) parts.push(Buffer.from([0x01, 0x00, 0x00]));
  for (let offset = 0; offset < data.length; offset += max) {
    const block = data.subarray(offset, Math.min(data.length, offset + max));
    const last = offset + max >= data.length ? 1 : 0;
    const header = (block.length << 3) | last; // Block_Type 0 (raw)
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  }
  return Buffer.concat(parts);
}

/** A layer from entries, stored with `compression`. */
export async function makeTestLayer(
  entries: readonly LayerEntry[],
  compression: Compression = 'gzip',
): Promise<TestLayer> {
  const tar = await packEntries(entries);
  const blob = compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? zstdStored(tar) : tar;
  return { blob, digest: sha256(blob), diffId: sha256(tar), mediaType: MEDIA[compression], tar };
}

/** A node of an applied tree. */
export type TreeNode =
  | { type: 'file'; mode: number; uid: number; content: string }
  | { type: 'dir'; mode: number }
  | { type: 'symlink'; target: string };

/** Reads a tar's entries (test helper: whole tars in memory are fine here). */
async function readEntries(
  tar: Buffer,
): Promise<{ name: string; type: string; linkname?: string; mode: number; uid: number; content: string }[]> {
  const parser = extract();
  const out: { name: string; type: string; linkname?: string; mode: number; uid: number; content: string }[] =
    [];
  parser.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({
        name: header.name.replace(/^\.?\/+/, '').replace(/\/+$/, ''),
        type: header.type ?? 'file',
        ...(header.linkname ? { linkname: header.linkname.replace(/^\.?\/+/, '') } : {}),
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? 0,
        content: Buffer.concat(chunks).toString('utf8'),
      });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('finish', resolve);
    parser.on('error', reject);
    Readable.from([tar]).pipe(parser);
  });
  return out;
}

/**
 * Applies layer tars in order (OCI image spec "Applying Changesets"): opaque markers clear a
 * directory's lower contents, whiteouts delete, other entries replace; a hard link copies its
 * target's node as it stands. Returns path → node.
 */
export async function applyLayers(tars: readonly Buffer[]): Promise<Map<string, TreeNode>> {
  const tree = new Map<string, TreeNode>();
  const removeUnder = (path: string, keep?: Set<string>) => {
    for (const key of [...tree.keys()])
      if ((key === path || key.startsWith(`${path}/`)) && !keep?.has(key)) tree.delete(key);
  };
  for (const tar of tars) {
    const entries = await readEntries(tar);
    const added = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const slash = entry.name.lastIndexOf('/');
      const dir = slash < 0 ? '' : entry.name.slice(0, slash);
      const base = entry.name.slice(slash + 1);
      if (base === '.wh..wh..opq') {
        for (const key of [...tree.keys()])
          if ((dir === '' || key.startsWith(`${dir}/`)) && !added.has(key)) tree.delete(key);
        continue;
      }
      if (base.startsWith('.wh.')) {
        removeUnder(`${dir === '' ? '' : `${dir}/`}${base.slice(4)}`);
        continue;
      }
      if (entry.type !== 'directory') removeUnder(entry.name);
      if (entry.type === 'directory') tree.set(entry.name, { type: 'dir', mode: entry.mode });
      else if (entry.type === 'symlink')
        tree.set(entry.name, { type: 'symlink', target: entry.linkname ?? '' });
      else if (entry.type === 'link') {
        const target = tree.get(entry.linkname ?? '');
        if (target === undefined) throw new Error(`hard link ${entry.name} to missing ${entry.linkname}`);
        tree.set(entry.name, target);
      } else tree.set(entry.name, { type: 'file', mode: entry.mode, uid: entry.uid, content: entry.content });
    }
  }
  return tree;
}

/** The tree as sorted `[path, node]` pairs, for equality assertions. */
export function treeEntries(tree: Map<string, TreeNode>): [string, TreeNode][] {
  return [...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
