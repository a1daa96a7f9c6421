/**
 * The real `google.pubsub.v1` service definitions from the protos shipped inside
 * `@google-cloud/pubsub`, so the stand-in speaks exactly the wire format the client library sends.
 */
import type * as grpc from '@grpc/grpc-js';
import { loadServices } from '../proto-services.js';

/** The two gRPC services the stand-in serves. */
export interface PubSubServices {
  publisher: grpc.ServiceDefinition;
  subscriber: grpc.ServiceDefinition;
}

let cached: PubSubServices | undefined;

/** Loads (once per process) and returns the Publisher and Subscriber service definitions. */
export function loadPubSubServices(): PubSubServices {
  if (cached) return cached;
  const [publisher, subscriber] = loadServices(
    ['@google-cloud/pubsub'],
    ['google/pubsub/v1/pubsub.proto'],
    ['google.pubsub.v1.Publisher', 'google.pubsub.v1.Subscriber'],
  );
  cached = { publisher: publisher!, subscriber: subscriber! };
  return cached;
}
