/**
 * Lazily created Google API clients. The SDK is imported on first use, not at module load: each
 * client library costs ~250 ms of cold start.
 */
import { memoizePromise } from './memoize.js';

/**
 * Waits for the client's stub. Why: the generated methods call `this.initialize().catch(err => { throw err; })`,
 * which turns a stub failure (e.g. no ADC) into an unhandled rejection. Awaiting it here surfaces the
 * failure to our caller instead, and a client whose stub failed is never used (it is recreated next time).
 */
export async function initialized<C extends { initialize(): Promise<unknown> }>(client: C): Promise<C> {
  await client.initialize();
  return client;
}

/** Creates the client on first call; `close()` closes it if it was ever created. */
export interface LazyClient<C> {
  (): Promise<C>;
  close(): Promise<void>;
}

/**
 * Caches a successful creation; a failed one is retried on the next call.
 *
 * @example
 *   const getClient = lazyClient(async () => initialized(new BatchServiceClient()));
 *   const client = await getClient();
 *   await getClient.close();
 */
export function lazyClient<C extends { close(): Promise<void> }>(create: () => Promise<C>): LazyClient<C> {
  const get = memoizePromise(create);
  return Object.assign(() => get(), {
    async close(): Promise<void> {
      const client = await get.peek()?.catch(() => undefined);
      get.forget();
      await client?.close();
    },
  });
}
