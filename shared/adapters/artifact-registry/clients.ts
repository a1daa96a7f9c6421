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
export function lazyArtifactRegistryClient(target: ClientTarget): () => Promise<ArtifactRegistryClient> {
  return memoizePromise(async () => {
    const { ArtifactRegistryClient: Client } = await import('@google-cloud/artifact-registry');
    return new Client(await optionsFor(target));
  });
}

/** Like {@link lazyArtifactRegistryClient}, for the Service Usage API. */
export function lazyServiceUsageClient(target: ClientTarget): () => Promise<ServiceUsageClient> {
  return memoizePromise(async () => {
    const { ServiceUsageClient: Client } = await import('@google-cloud/service-usage');
    return new Client(await optionsFor(target));
  });
}

/** Caches a successful promise; a failed creation is retried on the next call. */
function memoizePromise<T>(create: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= create().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
