import { parseEndpoint, type GrpcEndpoint } from '../grpc-endpoint.js';
import { readEnv } from '../env.js';

export { parseEndpoint, type GrpcEndpoint };

/** The stand-in endpoints named by ARTIFACT_REGISTRY_API_ENDPOINT / SERVICE_USAGE_API_ENDPOINT, if set. */
export function artifactRegistryEndpointsFromEnv(env?: NodeJS.ProcessEnv): {
  artifactRegistryEndpoint?: GrpcEndpoint;
  serviceUsageEndpoint?: GrpcEndpoint;
} {
  const ar = readEnv('ARTIFACT_REGISTRY_API_ENDPOINT', env);
  const su = readEnv('SERVICE_USAGE_API_ENDPOINT', env);
  return {
    ...(ar ? { artifactRegistryEndpoint: parseEndpoint(ar, 'ARTIFACT_REGISTRY_API_ENDPOINT') } : {}),
    ...(su ? { serviceUsageEndpoint: parseEndpoint(su, 'SERVICE_USAGE_API_ENDPOINT') } : {}),
  };
}
