import type * as grpc from '@grpc/grpc-js';
import { loadServices } from '../proto-services.js';

let cached: grpc.ServiceDefinition | undefined;

/**
 * The `google.cloud.batch.v1.BatchService` definition from the protos inside `@google-cloud/batch`,
 * loaded once per process (objects as described in `PROTO_LOADER_OPTIONS`).
 *
 * @example
 *   server.addService(batchServiceDefinition(), handlers);
 */
export function batchServiceDefinition(): grpc.ServiceDefinition {
  cached ??= loadServices(
    ['@google-cloud/batch'],
    ['google/cloud/batch/v1/batch.proto'],
    ['google.cloud.batch.v1.BatchService'],
  )[0];
  return cached as grpc.ServiceDefinition;
}
