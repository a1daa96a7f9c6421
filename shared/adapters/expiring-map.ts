import type { Clock } from '../core/ports.js';

/**
 * A bounded map whose entries expire: the one store behind the adapters' caches (registry tokens,
 * tag answers, repository facts). When full, the oldest entry is dropped first (a Map keeps
 * insertion order, and `set` re-inserts).
 *
 * @example
 *   const tags = new ExpiringMap<string, string>(systemClock, 1024);
 *   tags.set('web:1', 'sha256:…', 10_000);
 *   tags.get('web:1'); // 'sha256:…' for 10 s, then undefined
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries: number,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.clock.now().getTime() >= entry.until) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` for `ttlMs`; a TTL of zero or less keeps nothing. */
  set(key: K, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until: this.clock.now().getTime() + ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
