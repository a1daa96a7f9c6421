import type { Clock } from '../../core/ports.js';
import { ExpiringMap } from '../expiring-map.js';

/**
 * A tiny TTL cache of loads with an injected clock. Concurrent loads of one key share one promise;
 * only values the caller marks as cacheable are kept, so failures are retried next time.
 *
 * @example
 *   const cache = new TtlCache<string, number>(60_000, systemClock);
 *   await cache.get('k', async () => 42, () => true);
 */
export class TtlCache<K, V> {
  private readonly entries: ExpiringMap<K, V>;
  private readonly loading = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    clock: Clock,
    /** Bound on entries; the oldest is dropped first. */
    maxEntries = 1000,
  ) {
    this.entries = new ExpiringMap(clock, maxEntries);
  }

  async get(key: K, load: () => Promise<V>, cacheable: (value: V) => boolean = () => true): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const promise = load()
      .then((value) => {
        if (cacheable(value)) this.entries.set(key, value, this.ttlMs);
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, promise);
    return promise;
  }
}
