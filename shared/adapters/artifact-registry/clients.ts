import type { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import type { ServiceUsageClient } from '@google-cloud/service-usage';
import { insecureClientOptions, type GrpcEndpoint } from '../grpc-endpoint.js';
import { initialized, lazyClient, type LazyClient } from '../lazy-client.js';

/** Options accepted by both generated clients (google-gax `ClientOptions`). */
export type GaxClientOptions = NonNullable<ConstructorParameters<typeof ArtifactRegistryClient>[0]>;

export type { ArtifactRegistryClient, ServiceUsageClient, LazyClient };

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
  return (await insecureClientOptions(target.endpoint)) as GaxClientOptions;
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
  return lazyClient(async () => {
    const { ArtifactRegistryClient: Client } = await import('@google-cloud/artifact-registry');
    return initialized(new Client(await optionsFor(target)));
  });
}

/** Like {@link lazyArtifactRegistryClient}, for the Service Usage API. */
export function lazyServiceUsageClient(target: ClientTarget): LazyClient<ServiceUsageClient> {
  return lazyClient(async () => {
    const { ServiceUsageClient: Client } = await import('@google-cloud/service-usage');
    return initialized(new Client(await optionsFor(target)));
  });
}
