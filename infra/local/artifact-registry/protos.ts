import type * as grpc from '@grpc/grpc-js';
import { loadServices } from '../proto-services.js';

export interface StandInServices {
  artifactRegistry: grpc.ServiceDefinition;
  serviceUsage: grpc.ServiceDefinition;
}

let loaded: StandInServices | undefined;

/**
 * Loads `google.devtools.artifactregistry.v1.ArtifactRegistry` and `google.api.serviceusage.v1.ServiceUsage`
 * from the protos shipped inside the client packages, so the stand-in speaks exactly their wire format.
 */
export function loadStandInServices(): StandInServices {
  if (loaded) return loaded;
  const [artifactRegistry, serviceUsage] = loadServices(
    ['@google-cloud/artifact-registry', '@google-cloud/service-usage'],
    ['google/devtools/artifactregistry/v1/service.proto', 'google/api/serviceusage/v1/serviceusage.proto'],
    ['google.devtools.artifactregistry.v1.ArtifactRegistry', 'google.api.serviceusage.v1.ServiceUsage'],
  );
  loaded = { artifactRegistry: artifactRegistry!, serviceUsage: serviceUsage! };
  return loaded;
}
