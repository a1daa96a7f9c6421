import type { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import type { ServiceUsageClient } from '@google-cloud/service-usage';
import type { GrpcEndpoint } from './endpoint.js';

/** Options accepted by both generated clients (google-gax `ClientOptions`). */
export type GaxClientOptions = NonNullable<ConstructorParameters<typeof ArtifactRegistryClient>[0]>;

export type { ArtifactRegistryClient, ServiceUsageClient };

/**
 * Where a client talks to: an explicit plain-text endpoint (stand-in), or Google's default endpoint
 * with ADC. `defaultOptions` only applies to the latter (tests aim it at a closed local port).
 */
export interface ClientTarget {
  endpoint?: GrpcEndpoint;
  defaultOptions?: GaxClientOptions;
}

async function optionsFor(target: ClientTarget): Promise<GaxClientOptions> {
  if (!target.endpoint) return { ...target.defaultOptions };
  // Loaded on demand: grpc-js is already in memory once a client library is, so this is cheap.
  const grpc = await import('@grpc/grpc-js');
  return {
    apiEndpoint: target.endpoint.host,
    port: target.endpoint.port,
    sslCreds: grpc.credentials.createInsecure(),
  };
}

/**
 * Returns a function that creates the client on first call and reuses it afterwards. The SDK is
 * imported only then: each `require` costs ~250 ms of cold start.
 *
 * @example
 *   const client = lazyArtifactRegistryClient({ endpoint: { host: '127.0.0.1', port } });
 *   const [repo] = await (await client()).getRepository({ name });
 */
export function lazyArtifactRegistryClient(target: ClientTarget): LazyClient<ArtifactRegistryClient> {
  return memoizePromise(async () => {
    const { ArtifactRegistryClient: Client } = await import('@google-cloud/artifact-registry');
    return initialized(new Client(await optionsFor(target)));
  });
}

/** Like {@link lazyArtifactRegistryClient}, for the Service Usage API. */
export function lazyServiceUsageClient(target: ClientTarget): LazyClient<ServiceUsageClient> {
  return memoizePromise(async () => {
    const { ServiceUsageClient: Client } = await import('@google-cloud/service-usage');
    return initialized(new Client(await optionsFor(target)));
  });
}

/**
 * Waits for the client's stub. Why: the generated methods call `this.initialize().catch(err => { throw err; })`,
 * which turns a stub failure (e.g. no ADC) into an unhandled rejection. Awaiting it here surfaces the
 * failure to our caller instead, and a client whose stub failed is never used (it is recreated next time).
 */
async function initialized<C extends { initialize(): Promise<unknown> }>(client: C): Promise<C> {
  await client.initialize();
  return client;
}

/** Creates the client on first call; `close()` closes it if it was ever created. */
export interface LazyClient<C> {
  (): Promise<C>;
  close(): Promise<void>;
}

/** Caches a successful creation; a failed one is retried on the next call. */
function memoizePromise<C extends { close(): Promise<void> }>(create: () => Promise<C>): LazyClient<C> {
  let pending: Promise<C> | undefined;
  const get = (): Promise<C> => {
    pending ??= create().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
  return Object.assign(get, {
    async close(): Promise<void> {
      const client = await pending?.catch(() => undefined);
      pending = undefined;
      await client?.close();
    },
  });
}
