/**
 * Remembers a promise so work starts once, and forgets it when it fails: a failed import, client
 * or config is retried on the next call instead of failing every call after it.
 */

/** The remembered promise's getter, plus `peek` and `forget` for close and reset paths. */
export interface Memoized<T> {
  (): Promise<T>;
  /** The promise made so far, if any, without starting one. */
  peek(): Promise<T> | undefined;
  /** Drops the promise; the next call starts afresh. */
  forget(): void;
}

/**
 * Calls `create` on the first call and returns its promise to every later caller; a rejection
 * is passed on and forgotten, so the call after it tries again.
 *
 * @example
 *   const loadBatch = memoizePromise(() => import('@google-cloud/batch'));
 *   await loadBatch(); // imports; later calls reuse the module
 */
export function memoizePromise<T>(create: () => Promise<T>): Memoized<T> {
  let pending: Promise<T> | undefined;
  const get = (): Promise<T> => {
    if (pending) return pending;
    const current: Promise<T> = create().catch((error: unknown) => {
      // Only the promise still remembered is forgotten: a reset may have replaced it already.
      if (pending === current) pending = undefined;
      throw error;
    });
    pending = current;
    return current;
  };
  return Object.assign(get, {
    peek: () => pending,
    forget: () => {
      pending = undefined;
    },
  });
}
