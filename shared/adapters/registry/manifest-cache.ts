/**
 * Caches for registry reads. Content addressed by digest never changes, so it is kept until the
 * LRU bounds (entry count and total bytes) push it out. Tags move, so a tag→digest answer is kept
 * only briefly.
 */
import type { Clock } from '../../core/ports.js';
import { ExpiringMap } from '../expiring-map.js';

/** Bytes exactly as served, plus the Content-Type the registry gave. */
export interface CachedContent {
  bytes: Buffer;
  contentType?: string;
}

export interface LruLimits {
  maxEntries: number;
  maxBytes: number;
}

/** A least-recently-used map from digest to content, bounded by count and by total bytes. */
export class DigestCache {
  private readonly entries = new Map<string, CachedContent>();
  private totalBytes = 0;

  constructor(private readonly limits: LruLimits) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** The content for a digest, marking it as recently used. */
  get(key: string): CachedContent | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Stores content; an item larger than the byte bound is not cached at all. */
  set(key: string, value: CachedContent): void {
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.totalBytes -= previous.bytes.byteLength;
    }
    if (value.bytes.byteLength > this.limits.maxBytes || this.limits.maxEntries <= 0) return;
    this.entries.set(key, value);
    this.totalBytes += value.bytes.byteLength;
    // Map iteration order is insertion order, so the first key is the least recently used.
    while (this.entries.size > this.limits.maxEntries || this.totalBytes > this.limits.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const evicted = this.entries.get(oldest.value);
      this.entries.delete(oldest.value);
      this.totalBytes -= evicted?.bytes.byteLength ?? 0;
    }
  }
}

/** Tag → digest answers, each kept for `ttlMs` from when it was learnt. */
export class TagCache {
  private readonly entries: ExpiringMap<string, string>;

  constructor(
    clock: Clock,
    private readonly ttlMs: number,
    maxEntries = 1024,
  ) {
    this.entries = new ExpiringMap(clock, maxEntries);
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  set(key: string, digest: string): void {
    this.entries.set(key, digest, this.ttlMs);
  }
}
