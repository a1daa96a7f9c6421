/**
 * How failures become acks, retries and status codes. Transient errors are retried (a throw from
 * a CloudEvent function makes Pub/Sub redeliver; the webhook answers 503); permanent ones are
 * answered once and never retried.
 */
import type { Logger } from '../shared/adapters/logger.js';
import { isStreamgateError, type StreamgateError } from '../shared/core/errors.js';
import type { Finding } from '../shared/core/reason-codes.js';
import type { RejectionCategory } from '../shared/pipeline/outcomes.js';

/** Seconds a webhook client should wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Seconds a webhook client should wait after a 429 for JOBS_IN_FLIGHT_LIMIT: jobs take minutes,
 * so a retry in 5 s would mostly find the bound still reached.
 */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 30;

/**
 * A launch refused because a maxJobsInFlight bound is reached: retried later, but answered 429,
 * not 5xx, since nothing failed (Pub/Sub redelivers on any status outside 2xx and 102).
 */
export function isInFlightLimit(error: unknown): error is StreamgateError {
  return isTransient(error) && error.code === 'JOBS_IN_FLIGHT_LIMIT';
}

/** True for errors that a later retry may fix. */
export function isTransient(error: unknown): error is StreamgateError {
  return isStreamgateError(error) && error.transient;
}

/** A permanent StreamgateError from the pipeline (e.g. Batch INVALID_ARGUMENT): rejected, not retried. */
export function isPermanent(error: unknown): error is StreamgateError {
  return isStreamgateError(error) && !error.transient;
}

/** The finding a permanent error stands for. */
export function findingOf(error: StreamgateError): Finding {
  return { code: error.code, message: error.message };
}

/** The webhook status of a rejection category. */
export function statusOfRejection(category: RejectionCategory): number {
  switch (category) {
    case 'invalid':
      return 400;
    case 'policy':
      return 403;
    case 'conflict':
      // The key already names another request (IDEMPOTENCY_CONFLICT), as Stripe answers a reused key.
      return 409;
    case 'ineligible':
    case 'image':
      return 422;
  }
}

/**
 * Ends a CloudEvent invocation that failed: always rethrows, so functions-framework answers 500
 * and Pub/Sub redelivers. Transient failures are expected (WARNING); anything else is a bug
 * (ERROR with the stack), which Pub/Sub retries and finally dead-letters.
 */
export function failCloudEvent(error: unknown, log: Logger): never {
  if (isTransient(error)) {
    log.warn('transient failure; the message will be redelivered', {
      code: error.code,
      detail: error.message,
      error: error.cause,
    });
  } else {
    log.error('unexpected failure; the message will be redelivered', { error });
  }
  throw error;
}
