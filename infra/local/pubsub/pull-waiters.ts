/**
 * Long-poll support for unary Pull: wait until a subscription has something to deliver, the wait
 * runs out, the caller goes away or the stand-in closes. Every wait is bounded in time.
 */
import type { PubSubStore } from './store.js';

export class PullWaiters {
  private readonly active = new Set<() => void>();

  constructor(private readonly store: PubSubStore) {}

  /**
   * Calls `attempt` now and after each change to `subscription` until it returns a non-empty list
   * or `maxWaitMs` passes; resolves with the last result (possibly empty).
   */
  wait<T>(
    subscription: string,
    attempt: () => T[],
    maxWaitMs: number,
    onCancel: (stop: () => void) => void,
  ): Promise<T[]> {
    const first = attempt();
    if (first.length > 0 || maxWaitMs <= 0) return Promise.resolve(first);
    return new Promise<T[]>((resolve) => {
      let done = false;
      const finish = (result: T[]): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        this.active.delete(stop);
        resolve(result);
      };
      const stop = (): void => finish([]);
      const timer = setTimeout(stop, maxWaitMs);
      const unsubscribe = this.store.onChange((name) => {
        if (name !== subscription || done) return;
        const result = attempt();
        if (result.length > 0) finish(result);
      });
      this.active.add(stop);
      onCancel(stop);
    });
  }

  /** Ends every wait with an empty result. */
  close(): void {
    for (const stop of [...this.active]) stop();
  }
}
