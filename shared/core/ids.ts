import { createHash } from 'node:crypto';
import { keyHash } from './labels.js';
import { LIMITS } from './limits.js';

/**
 * Deterministic ids derived from idempotency keys: the same input always yields the same Batch job
 * id, `CreateJobRequest.requestId` and CloudEvent ids, which is what makes at-least-once delivery
 * produce exactly one job and lets consumers dedupe events on `ce-id`. The request id derives from
 * the job id, so one always implies the other.
 */

/** Batch job id syntax (CreateJobRequest.job_id). */
export const JOB_ID_PATTERN = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const SOURCE_PATTERN = /^[a-z][a-z0-9]{0,19}$/;
// Fixed namespace so streamgate's request ids never collide with other UUIDs derived from the same
// text; v2 hashes the job id (v1 hashed the key alone, so two sources could share a request id).
const REQUEST_ID_NAMESPACE = 'streamgate/request-id/v2\u0000';

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
 * The `CreateJobRequest.requestId` of a job: a UUID (version-5 layout, RFC 4122 variant) from
 * sha256(namespace + jobId). The version bits make the zero UUID impossible.
 *
 * @example requestIdFor(jobIdFor('webhook', 'build-42')) // '…-5…-…' (the same for every retry)
 */
export function requestIdFor(jobId: string): string {
  const bytes = createHash('sha256')
    .update(REQUEST_ID_NAMESPACE + jobId, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Idempotency key of a push: `push:<rule>:<host/path>:<digest>`. The repository is part of it, so
 * one digest pushed to two repositories launches two jobs; the tag is not (AR may send several
 * INSERTs per digest). A repository too long for a key (LIMITS.idempotencyKeyLength, which events
 * carry) is replaced by a hash of it.
 *
 * @example pushIdempotencyKey('apps', 'us-central1-docker.pkg.dev/p/apps/web', 'sha256:ab…')
 *   // 'push:apps:us-central1-docker.pkg.dev/p/apps/web:sha256:ab…'
 */
export function pushIdempotencyKey(ruleName: string, repository: string, digest: string): string {
  const key = `push:${ruleName}:${repository}:${digest}`;
  return key.length <= LIMITS.idempotencyKeyLength
    ? key
    : `push:${ruleName}:${keyHash(repository, 32)}:${digest}`;
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

/**
 * `ce-id` of `request.rejected`; the key is hashed so the id stays short and label-safe. With the
 * request's fingerprint, two different requests refused under one key get two ids, so consumers
 * that dedupe on `ce-id` see both.
 *
 * @example rejectionEventId('pubsub', 'msg-1', 'abcdefghijklmnopqrst') // 'rejected:pubsub:<26 chars>:abcdefghijklmnopqrst'
 */
export function rejectionEventId(source: string, idempotencyKey: string, fingerprint?: string): string {
  const id = `rejected:${source}:${keyHash(idempotencyKey, 26)}`;
  return fingerprint === undefined ? id : `${id}:${fingerprint}`;
}

/**
 * A Batch job's full name, as GetJob takes it.
 *
 * @example batchJobName('p', 'us-central1', 'sg-webhook-abc') // 'projects/p/locations/us-central1/jobs/sg-webhook-abc'
 */
export function batchJobName(project: string, region: string, jobId: string): string {
  return `projects/${project}/locations/${region}/jobs/${jobId}`;
}

/**
 * The region and job id a Batch job name holds, or undefined for anything else.
 *
 * @example jobNameParts('projects/p/locations/us-east1/jobs/j') // { region: 'us-east1', jobId: 'j' }
 */
export function jobNameParts(name: string): { region: string; jobId: string } | undefined {
  const match = /^projects\/[^/]+\/locations\/([^/]+)\/jobs\/([^/]+)$/.exec(name);
  return match ? { region: match[1] as string, jobId: match[2] as string } : undefined;
}
