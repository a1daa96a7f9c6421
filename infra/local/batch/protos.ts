import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * How request and response objects look inside the stand-in: camelCase fields, int64 as strings,
 * enums as their names, unset scalars filled with defaults and a virtual field naming each set
 * oneof. Handlers rely on these choices, so they live in one place.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Paths of the protos shipped inside the npm packages (never a hard-coded node_modules path). */
export function batchProtoPaths(): { file: string; includeDirs: string[] } {
  const require = createRequire(import.meta.url);
  const batchRoot = path.dirname(require.resolve('@google-cloud/batch/package.json'));
  // google-gax is a dependency of @google-cloud/batch; resolve it from there. Its package
  // exports hide package.json, so step up from the main entry (build/src/index.js).
  const gaxMain = createRequire(path.join(batchRoot, 'package.json')).resolve('google-gax');
  const gaxProtos = path.resolve(path.dirname(gaxMain), '..', 'protos');
  const batchProtos = path.join(batchRoot, 'build', 'protos');
  return {
    file: path.join(batchProtos, 'google', 'cloud', 'batch', 'v1', 'batch.proto'),
    includeDirs: [batchProtos, gaxProtos],
  };
}

let cached: grpc.ServiceDefinition | undefined;

/**
 * The `google.cloud.batch.v1.BatchService` definition, loaded once per process.
 *
 * @example
 *   server.addService(batchServiceDefinition(), handlers);
 */
export function batchServiceDefinition(): grpc.ServiceDefinition {
  if (cached) return cached;
  const { file, includeDirs } = batchProtoPaths();
  const definition = protoLoader.loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { batch: { v1: { BatchService: grpc.ServiceClientConstructor } } } };
  };
  cached = loaded.google.cloud.batch.v1.BatchService.service;
  return cached;
}
