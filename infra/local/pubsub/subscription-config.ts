/**
 * Turns a `Subscription` proto into the stand-in's config, enforcing the real API's ranges:
 * ack deadline 10-600 s (0 = default 10), max delivery attempts 5-100 (0 = default 5), retry
 * backoff 0-600 s (defaults 10 s and 600 s), and an absolute http(s) push endpoint.
 */
import * as grpc from '@grpc/grpc-js';
import type { z } from 'zod';
import { grpcError } from './grpc-status.js';
import { parseResourceName } from './names.js';
import type { PushConfigSchema, SubscriptionSchema } from './schemas.js';
import type { SubscriptionConfig } from './store.js';
import { millisToProto, protoToMillis } from './wire.js';

const DEFAULT_ACK_DEADLINE_SECONDS = 10;
const DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;
const DEFAULT_MIN_BACKOFF_MS = 10_000;
const DEFAULT_MAX_BACKOFF_MS = 600_000;
const MAX_BACKOFF_MS = 600_000;
/** Retention the real service reports by default (7 days). */
const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

function invalid(details: string): never {
  throw grpcError(grpc.status.INVALID_ARGUMENT, details);
}

/**
 * Validates a push config: an empty endpoint means pull; otherwise an absolute http(s) URL, and
 * `noWrapper` (payload unwrapping) is kept. A pull subscription has no wrapper.
 */
export function checkPushConfig(
  pushConfig: z.infer<typeof PushConfigSchema> | null | undefined,
): Pick<SubscriptionConfig, 'pushEndpoint' | 'pushAttributes' | 'noWrapper'> {
  const pushEndpoint = pushConfig?.pushEndpoint ?? '';
  if (pushEndpoint !== '') {
    let url: URL;
    try {
      url = new URL(pushEndpoint);
    } catch {
      invalid(`Invalid push endpoint: ${pushEndpoint}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      invalid(`Invalid push endpoint: ${pushEndpoint}`);
  }
  const noWrapper = pushEndpoint !== '' ? pushConfig?.noWrapper : undefined;
  return {
    pushEndpoint,
    pushAttributes: pushConfig?.attributes ?? {},
    noWrapper: noWrapper ? { writeMetadata: noWrapper.writeMetadata } : undefined,
  };
}

/** Validates a CreateSubscription request and fills in the service defaults. */
export function toSubscriptionConfig(sub: z.infer<typeof SubscriptionSchema>): SubscriptionConfig {
  parseResourceName(sub.name, 'subscriptions');
  parseResourceName(sub.topic, 'topics');
  if (sub.filter !== '') throw grpcError(grpc.status.UNIMPLEMENTED, 'The stand-in does not support filters');
  if (sub.enableExactlyOnceDelivery) {
    throw grpcError(grpc.status.UNIMPLEMENTED, 'The stand-in does not support exactly-once delivery');
  }
  if (sub.bigqueryConfig || sub.cloudStorageConfig) {
    throw grpcError(grpc.status.UNIMPLEMENTED, 'The stand-in does not support export subscriptions');
  }

  const ackDeadlineSeconds =
    sub.ackDeadlineSeconds === 0 ? DEFAULT_ACK_DEADLINE_SECONDS : sub.ackDeadlineSeconds;
  if (ackDeadlineSeconds < 10 || ackDeadlineSeconds > 600) {
    invalid('Invalid ack_deadline_seconds: must be between 10 and 600');
  }

  let deadLetterPolicy: SubscriptionConfig['deadLetterPolicy'];
  if (sub.deadLetterPolicy && sub.deadLetterPolicy.deadLetterTopic !== '') {
    parseResourceName(sub.deadLetterPolicy.deadLetterTopic, 'topics');
    const max = sub.deadLetterPolicy.maxDeliveryAttempts || DEFAULT_MAX_DELIVERY_ATTEMPTS;
    if (max < 5 || max > 100) invalid('Invalid max_delivery_attempts: must be between 5 and 100');
    deadLetterPolicy = { deadLetterTopic: sub.deadLetterPolicy.deadLetterTopic, maxDeliveryAttempts: max };
  }

  let retryPolicy: SubscriptionConfig['retryPolicy'];
  if (sub.retryPolicy) {
    const minimumBackoffMs = protoToMillis(sub.retryPolicy.minimumBackoff) ?? DEFAULT_MIN_BACKOFF_MS;
    const maximumBackoffMs = protoToMillis(sub.retryPolicy.maximumBackoff) ?? DEFAULT_MAX_BACKOFF_MS;
    if (minimumBackoffMs < 0 || maximumBackoffMs > MAX_BACKOFF_MS || minimumBackoffMs > maximumBackoffMs) {
      invalid('Invalid retry_policy: backoffs must satisfy 0 <= minimum <= maximum <= 600s');
    }
    retryPolicy = { minimumBackoffMs, maximumBackoffMs };
  }

  return {
    name: sub.name,
    topic: sub.topic,
    ...checkPushConfig(sub.pushConfig),
    ackDeadlineSeconds,
    labels: sub.labels,
    enableMessageOrdering: sub.enableMessageOrdering,
    deadLetterPolicy,
    retryPolicy,
  };
}

/** The `Subscription` proto the service returns for a config. */
export function subscriptionToWire(config: SubscriptionConfig): Record<string, unknown> {
  return {
    name: config.name,
    topic: config.topic,
    pushConfig: config.pushEndpoint
      ? {
          pushEndpoint: config.pushEndpoint,
          attributes: config.pushAttributes,
          ...(config.noWrapper ? { noWrapper: config.noWrapper } : {}),
        }
      : {},
    ackDeadlineSeconds: config.ackDeadlineSeconds,
    labels: config.labels,
    enableMessageOrdering: config.enableMessageOrdering,
    messageRetentionDuration: millisToProto(DEFAULT_RETENTION_MS),
    ...(config.deadLetterPolicy ? { deadLetterPolicy: config.deadLetterPolicy } : {}),
    ...(config.retryPolicy
      ? {
          retryPolicy: {
            minimumBackoff: millisToProto(config.retryPolicy.minimumBackoffMs),
            maximumBackoff: millisToProto(config.retryPolicy.maximumBackoffMs),
          },
        }
      : {}),
    state: 'ACTIVE',
  };
}
