/**
 * A tiny TTL cache with an injected clock. Concurrent loads of one key share one promise; only
 * values the caller marks as cacheable are kept, so failures are retried next time.
 *
 * @example
 *   const cache = new TtlCache<string, number>(60_000, Date.now);
 *   await cache.get('k', async () => 42, () => true);
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private readonly loading = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** Bound on entries; the oldest is dropped first (Map keeps insertion order). */
    private readonly maxEntries = 1000,
  ) {}

  async get(key: K, load: () => Promise<V>, cacheable: (value: V) => boolean = () => true): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    if (hit) this.entries.delete(key);
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const promise = load()
      .then((value) => {
        if (cacheable(value) && this.ttlMs > 0) this.remember(key, value);
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, promise);
    return promise;
  }

  private remember(key: K, value: V): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }
}
