import { createHash } from 'node:crypto';
import { keyHash } from './labels.js';

/**
 * Deterministic ids derived from idempotency keys: the same input always yields the same Batch job
 * id, `CreateJobRequest.requestId` and CloudEvent ids, which is what makes at-least-once delivery
 * produce exactly one job and lets consumers dedupe events on `ce-id`.
 */

/** Batch job id syntax (CreateJobRequest.job_id). */
export const JOB_ID_PATTERN = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const SOURCE_PATTERN = /^[a-z][a-z0-9]{0,19}$/;
// Fixed namespace so streamgate's request ids never collide with other UUIDs derived from the same key.
const REQUEST_ID_NAMESPACE = 'streamgate/request-id/v1\u0000';

/**
 * The Batch job id for an idempotency key: `sg-<source>-<20 chars of base32(sha256(key))>`.
 *
 * @example jobIdFor('webhook', 'build-42') // 'sg-webhook-' + 20 lowercase base32 chars
 */
export function jobIdFor(source: string, key: string): string {
  if (!SOURCE_PATTERN.test(source)) throw new RangeError(`Invalid job id source "${source}".`);
  return `sg-${source}-${keyHash(key)}`;
}

/**
 * A UUID (version-5 layout, RFC 4122 variant) from sha256(namespace + key), for
 * `CreateJobRequest.requestId`. The version bits make the zero UUID impossible.
 */
export function requestIdFor(key: string): string {
  const bytes = createHash('sha256')
    .update(REQUEST_ID_NAMESPACE + key, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Idempotency key of a push: AR may send several INSERTs per digest, so the tag is not part of it. */
export function pushIdempotencyKey(ruleName: string, digest: string): string {
  return `push:${ruleName}:${digest}`;
}

/** `ce-id` of `job.launched`: one per job. */
export function launchEventId(jobId: string): string {
  return `launched:${jobId}`;
}

/** `ce-id` of `job.completed`: duplicate Batch notifications give the same id. */
export function completionEventId(jobUid: string, state: string): string {
  return `completed:${jobUid}:${state}`;
}

/** `ce-id` of `job.state_changed`. */
export function stateChangedEventId(jobUid: string, state: string): string {
  return `state:${jobUid}:${state}`;
}

/** `ce-id` of `request.rejected`; the key is hashed so the id stays short and label-safe. */
export function rejectionEventId(source: string, idempotencyKey: string): string {
  return `rejected:${source}:${keyHash(idempotencyKey, 26)}`;
}
