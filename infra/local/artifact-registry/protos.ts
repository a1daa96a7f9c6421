import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { GrpcObject, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

/** `build/protos` inside an installed package, found the way Node finds the package itself. */
function protosOf(packageJson: string, from: NodeRequire = require): string {
  return join(dirname(from.resolve(packageJson)), 'build', 'protos');
}

/** google-gax ships the common protos (google/api, google/iam, google/longrunning) the services import. */
function gaxProtos(): string {
  const fromArtifactRegistry = createRequire(require.resolve('@google-cloud/artifact-registry/package.json'));
  // google-gax has an exports map without package.json, so walk up from its entry point (build/src/index.js).
  return join(dirname(fromArtifactRegistry.resolve('google-gax')), '..', 'protos');
}

export interface StandInServices {
  artifactRegistry: ServiceClientConstructor;
  serviceUsage: ServiceClientConstructor;
}

let loaded: StandInServices | undefined;

/**
 * Loads `google.devtools.artifactregistry.v1.ArtifactRegistry` and `google.api.serviceusage.v1.ServiceUsage`
 * from the protos shipped inside the client packages, so the stand-in speaks exactly their wire format.
 */
export function loadStandInServices(): StandInServices {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(
    ['google/devtools/artifactregistry/v1/service.proto', 'google/api/serviceusage/v1/serviceusage.proto'],
    {
      includeDirs: [
        protosOf('@google-cloud/artifact-registry/package.json'),
        protosOf('@google-cloud/service-usage/package.json'),
        gaxProtos(),
      ],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    },
  );
  const root = loadPackageDefinition(definition);
  loaded = {
    artifactRegistry: lookup(root, 'google.devtools.artifactregistry.v1.ArtifactRegistry'),
    serviceUsage: lookup(root, 'google.api.serviceusage.v1.ServiceUsage'),
  };
  return loaded;
}

function lookup(root: GrpcObject, path: string): ServiceClientConstructor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function' || !('service' in node))
    throw new Error(`Service ${path} is missing from the protos.`);
  return node as ServiceClientConstructor;
}
