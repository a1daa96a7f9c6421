import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Loads gRPC service definitions from the protos shipped inside the Google client packages, so
 * every stand-in speaks exactly the wire format the real client sends.
 *
 * How request and response objects look inside the stand-ins: camelCase fields, int64 as strings,
 * enums as their names, unset scalars filled with defaults and a virtual field naming each set
 * oneof. Handlers rely on these choices, so they live in one place.
 */
const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const require = createRequire(import.meta.url);

/** `build/protos` of an installed client package, found the way Node finds the package itself. */
function packageProtosDir(packageName: string): string {
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), 'build', 'protos');
}

/**
 * The common protos (google/api, google/longrunning, …) of the google-gax copy that `packageName`
 * was built against. google-gax's exports map hides package.json, so step up from its entry point
 * (build/src/index.js).
 */
function gaxProtosDir(packageName: string): string {
  const fromPackage = createRequire(require.resolve(`${packageName}/package.json`));
  return path.resolve(path.dirname(fromPackage.resolve('google-gax')), '..', 'protos');
}

/**
 * Loads `protoFiles` (relative to the packages' proto folders) and returns the named services.
 *
 * @example
 *   const [batch] = loadServices(['@google-cloud/batch'], ['google/cloud/batch/v1/batch.proto'], ['google.cloud.batch.v1.BatchService']);
 */
export function loadServices(
  packages: readonly string[],
  protoFiles: readonly string[],
  serviceNames: readonly string[],
): grpc.ServiceDefinition[] {
  const includeDirs = [...packages.map(packageProtosDir), gaxProtosDir(packages[0] as string)];
  const definition = protoLoader.loadSync([...protoFiles], { ...PROTO_LOADER_OPTIONS, includeDirs });
  const root = grpc.loadPackageDefinition(definition);
  return serviceNames.map((name) => {
    let node: unknown = root;
    for (const part of name.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== 'function' || !('service' in node)) {
      throw new Error(`Service ${name} is missing from the protos of ${packages.join(', ')}.`);
    }
    return (node as grpc.ServiceClientConstructor).service;
  });
}
