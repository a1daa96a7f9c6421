/**
 * Loads the real `google.pubsub.v1` service definitions from the protos shipped inside
 * `@google-cloud/pubsub`, so the stand-in speaks exactly the wire format the client library sends.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The two gRPC services the stand-in serves. */
export interface PubSubServices {
  publisher: grpc.ServiceDefinition;
  subscriber: grpc.ServiceDefinition;
}

/**
 * Decoding options for requests: camelCase fields, int64 as strings, enums as names and defaults
 * filled in, so handlers can rely on every scalar field being present.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: PubSubServices | undefined;

/** Directories holding `google/pubsub/v1/pubsub.proto` and the `google/api` protos it imports. */
export function pubsubProtoIncludeDirs(): { protoFile: string; includeDirs: string[] } {
  const require = createRequire(import.meta.url);
  const protoFile = require.resolve('@google-cloud/pubsub/build/protos/google/pubsub/v1/pubsub.proto');
  const pubsubProtos = path.resolve(path.dirname(protoFile), '../../..');
  // Resolve google-gax from the Pub/Sub package, so we get the copy it was built against.
  const pubsubRequire = createRequire(protoFile);
  // google-gax's `exports` hides package.json; its main entry is build/src/index.js.
  const gaxMain = pubsubRequire.resolve('google-gax');
  const gaxProtos = path.resolve(path.dirname(gaxMain), '..', 'protos');
  return { protoFile, includeDirs: [pubsubProtos, gaxProtos] };
}

/** Loads (once per process) and returns the Publisher and Subscriber service definitions. */
export function loadPubSubServices(): PubSubServices {
  if (cached) return cached;
  const { protoFile, includeDirs } = pubsubProtoIncludeDirs();
  const definition = protoLoader.loadSync(protoFile, { ...PROTO_LOADER_OPTIONS, includeDirs });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      pubsub: { v1: { Publisher: grpc.ServiceClientConstructor; Subscriber: grpc.ServiceClientConstructor } };
    };
  };
  cached = {
    publisher: loaded.google.pubsub.v1.Publisher.service,
    subscriber: loaded.google.pubsub.v1.Subscriber.service,
  };
  return cached;
}
