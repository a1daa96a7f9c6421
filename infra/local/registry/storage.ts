/**
 * In-memory content store of the registry stand-in: blobs by digest, manifests by digest with
 * their tags, and open uploads. Repositories only record which digests they hold.
 */
import { createHash, randomUUID } from 'node:crypto';

export interface StoredManifest {
  bytes: Buffer;
  contentType: string;
}

interface Repository {
  blobs: Set<string>;
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
}

interface Upload {
  name: string;
  chunks: Buffer[];
  size: number;
}

/** sha256 digest of some bytes, `sha256:<hex>`. */
export function sha256Digest(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Byte-wise string order (tags are ASCII, so UTF-16 code units order them as bytes do). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class RegistryStorage {
  private readonly blobs = new Map<string, Buffer>();
  private readonly repositories = new Map<string, Repository>();
  private readonly uploads = new Map<string, Upload>();

  private repository(name: string): Repository {
    let repo = this.repositories.get(name);
    if (!repo) {
      repo = { blobs: new Set(), manifests: new Map(), tags: new Map() };
      this.repositories.set(name, repo);
    }
    return repo;
  }

  getBlob(name: string, digest: string): Buffer | undefined {
    return this.repositories.get(name)?.blobs.has(digest) ? this.blobs.get(digest) : undefined;
  }

  putBlob(name: string, digest: string, bytes: Buffer): void {
    this.blobs.set(digest, bytes);
    this.repository(name).blobs.add(digest);
  }

  /** The manifest for a tag or digest, with its digest. */
  getManifest(name: string, reference: string): { digest: string; manifest: StoredManifest } | undefined {
    const repo = this.repositories.get(name);
    if (!repo) return undefined;
    const digest = DIGEST_PATTERN.test(reference) ? reference : repo.tags.get(reference);
    const manifest = digest === undefined ? undefined : repo.manifests.get(digest);
    return digest !== undefined && manifest ? { digest, manifest } : undefined;
  }

  hasManifest(name: string, digest: string): boolean {
    return this.repositories.get(name)?.manifests.has(digest) ?? false;
  }

  putManifest(name: string, digest: string, manifest: StoredManifest, tag?: string): void {
    const repo = this.repository(name);
    repo.manifests.set(digest, manifest);
    if (tag !== undefined) repo.tags.set(tag, digest);
  }

  /** The repository's tags in byte order (Go's `sort.Strings`, as the spec asks); undefined when unknown. */
  tags(name: string): string[] | undefined {
    const repo = this.repositories.get(name);
    return repo ? [...repo.tags.keys()].sort(byteOrder) : undefined;
  }

  /** Drops a manifest and every tag on it; the tags it had, or undefined when it was not there. */
  deleteManifest(name: string, digest: string): string[] | undefined {
    const repo = this.repositories.get(name);
    if (!repo?.manifests.delete(digest)) return undefined;
    const tags = [...repo.tags].filter(([, tagged]) => tagged === digest).map(([tag]) => tag);
    for (const tag of tags) repo.tags.delete(tag);
    return tags.sort(byteOrder);
  }

  /** Drops one tag (the manifest stays); the digest it named, or undefined when it was not there. */
  deleteTag(name: string, tag: string): string | undefined {
    const repo = this.repositories.get(name);
    const digest = repo?.tags.get(tag);
    if (digest !== undefined) repo?.tags.delete(tag);
    return digest;
  }

  startUpload(name: string): string {
    const id = randomUUID();
    this.uploads.set(id, { name, chunks: [], size: 0 });
    return id;
  }

  upload(id: string, name: string): Upload | undefined {
    const upload = this.uploads.get(id);
    return upload && upload.name === name ? upload : undefined;
  }

  appendUpload(upload: Upload, chunk: Buffer): void {
    upload.chunks.push(chunk);
    upload.size += chunk.byteLength;
  }

  /** Closes an upload and returns its bytes. */
  finishUpload(id: string, upload: Upload): Buffer {
    this.uploads.delete(id);
    return Buffer.concat(upload.chunks, upload.size);
  }
}
