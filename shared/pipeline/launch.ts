import type { EligibilityReport } from '../core/eligibility.js';
import { isStreamgateError } from '../core/errors.js';
import { EVENT_TYPES } from '../core/events.js';
import { requestFingerprint } from '../core/fingerprint.js';
import { jobIdFor, launchEventId, rejectionEventId, requestIdFor } from '../core/ids.js';
import { LOG_MESSAGES, type LaunchLine, type RejectedLine } from '../core/log-lines.js';
import { parseImageReference, type ImageReference } from '../core/image-reference.js';
import { readStreamgateLabels } from '../core/labels.js';
import type { JobSnapshot } from '../core/ports.js';
import { checkPolicy } from '../core/policy.js';
import type { Finding } from '../core/reason-codes.js';
import {
  STREAMING_MODES,
  type LaunchRequest,
  type LaunchSource,
  type StreamingMode,
} from '../core/request.js';
import { summarizeRequest } from '../core/request-summary.js';
import type { PipelineDeps } from './deps.js';
import { describeExistingJob, findJob, type ExistingJob } from './existing-job.js';
import { createWithinBounds } from './in-flight.js';
import { lookupRegions } from './job-region.js';
import type { Launched, LaunchOutcome, Planned, Rejected, RejectionCategory } from './outcomes.js';
import { finishPlan, readForPlan, type KnownImage, type PlanRead } from './plan.js';
import { publishEvent } from './publish-event.js';

export interface LaunchOptions {
  /** Plan only: judge and build the job, create nothing, publish nothing. */
  dryRun?: boolean;
  /** The caller knows no job can hold this key (e.g. one derived for a plan): skip the lookup. */
  freshKey?: boolean;
  /** The request's image as the caller already parsed (and maybe resolved) it: not read again. */
  image?: KnownImage;
}

/**
 * The one launch pipeline behind all three entry points: look for the key's job (while the image
 * and its repository are read) → judge → region → build → createJob → publish `job.launched` or
 * `request.rejected`.
 *
 * A key names exactly one request (its fingerprint, stored on the job). When the key's job exists,
 * the same fingerprint is a repeat, answered from Batch with `created: false` (the reads made
 * meanwhile are dropped, failed or not); another fingerprint is an IDEMPOTENCY_CONFLICT and nothing
 * changes in Batch.
 * Transient failures (registry, Batch, Pub/Sub) throw a transient StreamgateError so the caller
 * retries; job ids and request ids derive from the key, so a retry never makes a second job.
 *
 * @example
 *   const outcome = await launch(request, deps);
 *   if (outcome.status === 'launched') log.info('launched', { job: outcome.jobName });
 */
export async function launch(
  request: LaunchRequest,
  deps: PipelineDeps,
  options: LaunchOptions = {},
): Promise<LaunchOutcome> {
  const receivedAt = deps.receivedAt ?? deps.clock.now();
  const log = deps.logger.child({
    correlationId: request.correlationId,
    source: request.source,
    ...(request.rule ? { rule: request.rule } : {}),
  });
  const fingerprint = requestFingerprint(request);
  // The reference is parsed once, here or by the caller, for the lookup and the plan.
  const image = options.image ?? knownImageOf(request);
  // The plan's reads start with the key's lookup, not after it: one round trip fewer per launch.
  // They write nothing (a repair comes later), so a repeat drops them and answers what Batch holds.
  const reading: Promise<PlanRead> =
    'code' in image
      ? Promise.resolve({ ok: false, category: 'invalid', reasons: [image] })
      : readForPlan(request, deps, image);
  reading.catch(() => undefined);
  const found =
    options.freshKey || 'code' in image ? undefined : await findKeyJob(request, image.reference, deps);
  if (found && !options.dryRun) {
    return settleExisting(found.job, found.name, request, fingerprint, { ...deps, logger: log });
  }
  // A plan answers what POST /jobs would: a key already used for another request is refused.
  const conflict =
    found && conflictOf(describeExistingJob(found.job, found.name, request.streaming), fingerprint);
  if (conflict) return { status: 'rejected', category: 'conflict', reasons: [conflict] };
  const result = await finishPlan(request, deps, await reading, { dryRun: options.dryRun === true });
  if (!result.ok) {
    const refusal = {
      category: result.category,
      reasons: result.reasons,
      ...(result.report ? { report: result.report } : {}),
    };
    if (options.dryRun) return { status: 'rejected', ...refusal };
    return publishRejection(deps, { ...rejectionOf(request, fingerprint), ...refusal });
  }
  if (options.dryRun) return result.planned;
  return createPlanned(request, result.planned, fingerprint, { ...deps, logger: log }, receivedAt);
}

/** The request's parsed reference, or why it does not parse (refused as `invalid`, before any read). */
function knownImageOf(request: LaunchRequest): KnownImage | Finding {
  try {
    return { reference: parseImageReference(request.image) };
  } catch (error) {
    if (!isStreamgateError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

/**
 * Creates the planned job and announces it (with the milliseconds from `receivedAt` to Batch's
 * answer), or settles with the job another delivery created.
 */
async function createPlanned(
  request: LaunchRequest,
  planned: Planned,
  fingerprint: string,
  deps: PipelineDeps,
  receivedAt: Date,
): Promise<Launched | Rejected> {
  const { job, created } = await createWithinBounds(request, planned.plan, deps);
  const answeredAt = deps.clock.now();
  const name = `${planned.plan.parent}/jobs/${planned.plan.jobId}`;
  const theirs = readStreamgateLabels(job.labels).fingerprint;
  // ALREADY_EXISTS, or Batch answering a requestId it saw with that call's job: another delivery
  // of this key got there first (in this region, so the lookup above missed it by a hair).
  if (!created || (theirs !== undefined && theirs !== fingerprint)) {
    return settleExisting(job, name, request, fingerprint, deps);
  }
  return announce(
    request,
    deps,
    {
      created: true,
      jobName: job.name ?? name,
      jobUid: job.uid ?? planned.plan.jobId,
      jobRegion: planned.jobRegion,
      imageUri: planned.imageUri,
      ...(planned.digest ? { digest: planned.digest } : {}),
      ...(planned.repairedFrom ? { repairedFrom: planned.repairedFrom } : {}),
      report: planned.report,
      streaming: planned.streaming,
      plan: planned.plan,
    },
    { launchLatencyMs: Math.max(0, answeredAt.getTime() - receivedAt.getTime()) },
  );
}

/**
 * The job this request's key names, looked up where it can be (see lookupRegions). Requests that
 * readForPlan refuses before reading anything (an invalid image reference, a policy violation) read
 * nothing here either.
 */
async function findKeyJob(
  request: LaunchRequest,
  image: ImageReference,
  deps: PipelineDeps,
): Promise<{ job: JobSnapshot; name: string } | undefined> {
  if (checkPolicy(request, image, deps.config.policy).length > 0) return undefined;
  const jobId = jobIdFor(request.source, request.idempotencyKey);
  return findJob(jobId, lookupRegions(image, request, deps.config), deps);
}

/**
 * Answers a request whose key already has a job: the same fingerprint gets that job, described
 * from Batch (`created: false`); anything else is an IDEMPOTENCY_CONFLICT that changes nothing.
 */
async function settleExisting(
  job: JobSnapshot,
  lookedUp: string,
  request: LaunchRequest,
  fingerprint: string,
  deps: PipelineDeps,
): Promise<Launched | Rejected> {
  const existing = describeExistingJob(job, lookedUp, request.streaming);
  const conflict = conflictOf(existing, fingerprint);
  if (conflict) {
    return publishRejection(deps, {
      ...rejectionOf(request, fingerprint),
      category: 'conflict',
      reasons: [conflict],
    });
  }
  return announce(request, deps, {
    created: false,
    jobName: existing.jobName,
    jobUid: existing.jobUid,
    jobRegion: existing.region,
    imageUri: existing.imageUri,
    ...(existing.digest ? { digest: existing.digest } : {}),
    report: existing.report,
    streaming: existing.streaming,
    plan: {
      parent: existing.jobName.slice(0, existing.jobName.lastIndexOf('/jobs/')),
      jobId: existing.jobId,
      requestId: requestIdFor(existing.jobId),
    },
  });
}

/** IDEMPOTENCY_CONFLICT when the key's job was not made from this request; undefined for a repeat. */
function conflictOf(existing: ExistingJob, fingerprint: string): Finding | undefined {
  if (existing.labels.managed && existing.labels.fingerprint === fingerprint) return undefined;
  const why = !existing.labels.managed
    ? `a Batch job streamgate did not create already has this request's job id (${existing.jobName})`
    : existing.labels.fingerprint === undefined
      ? `job ${existing.jobName} was created with it before streamgate recorded request fingerprints`
      : `job ${existing.jobName} was created with it from a different request (fingerprint ${existing.labels.fingerprint}; this request's is ${fingerprint})`;
  return {
    code: 'IDEMPOTENCY_CONFLICT',
    message: `This idempotency key was already used: ${why}. Nothing was changed. Send this request with a new idempotency key, or repeat the original request unchanged to get its job.`,
  };
}

/**
 * Publishes `job.launched` for a job that exists now and returns the outcome. Over-long strings
 * (a 256-character message id as correlation id, manifest text quoted in a reason) are cut to the
 * event's bounds by publishEvent, so the event of a job that exists never fails validation.
 */
async function announce(
  request: LaunchRequest,
  deps: PipelineDeps,
  job: Omit<Launched, 'status' | 'eventId'>,
  timing: Pick<LaunchLine, 'launchLatencyMs'> = {},
): Promise<Launched> {
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.launched,
    {
      jobName: job.jobName,
      jobUid: job.jobUid,
      jobId: job.plan.jobId,
      region: job.jobRegion,
      image: {
        reference: request.image,
        ...(job.digest ? { digest: job.digest } : {}),
        ...(job.repairedFrom ? { repairedFrom: job.repairedFrom } : {}),
        uri: job.imageUri,
      },
      streaming: job.streaming,
      source: request.source,
      idempotencyKey: request.idempotencyKey,
      correlationId: request.correlationId,
      created: job.created,
      ...(request.rule ? { rule: request.rule } : {}),
    },
    launchEventId(job.plan.jobId),
    job.jobName,
  );
  deps.logger.info(job.created ? LOG_MESSAGES.launched : LOG_MESSAGES.repeat, {
    jobName: job.jobName,
    jobId: job.plan.jobId,
    region: job.jobRegion,
    streaming: job.streaming.enabled,
    verdict: job.report.verdict,
    reasons: job.report.reasons.map((r) => r.code),
    ...timing,
  } satisfies LaunchLine);
  return { ...job, status: 'launched', eventId };
}

/** The parts of a `request.rejected` that come from a parsed request. */
function rejectionOf(request: LaunchRequest, fingerprint: string): Omit<RejectInput, 'category' | 'reasons'> {
  return {
    source: request.source,
    correlationId: request.correlationId,
    idempotencyKey: request.idempotencyKey,
    request,
    fingerprint,
    ...(request.rule ? { rule: request.rule } : {}),
  };
}

export interface RejectInput {
  source: LaunchSource;
  correlationId: string;
  idempotencyKey?: string;
  category: RejectionCategory;
  reasons: Finding[];
  /** The raw or parsed request, summarised without secrets. */
  request?: unknown;
  report?: EligibilityReport;
  rule?: string;
  /** The request's fingerprint, when it parsed: part of the `ce-id`. */
  fingerprint?: string;
}

/**
 * A permanent refusal: logged at WARNING and published as `request.rejected`. Publishing can fail
 * transiently, in which case this throws and the caller retries.
 */
export async function publishRejection(deps: PipelineDeps, input: RejectInput): Promise<Rejected> {
  const key = input.idempotencyKey ?? input.correlationId;
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.rejected,
    {
      reasons: input.reasons.map((r) => ({ code: r.code, message: r.message })),
      source: input.source,
      correlationId: input.correlationId,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.rule ? { rule: input.rule } : {}),
      ...(input.request !== undefined ? { request: summarizeRequest(input.request) } : {}),
      ...(input.report
        ? {
            streaming: {
              enabled: false,
              mode: modeOf(input.request),
              verdict: input.report.verdict,
              reasons: input.report.reasons,
              warnings: input.report.warnings,
              ...(input.report.platformDigest ? { platformDigest: input.report.platformDigest } : {}),
            },
          }
        : {}),
    },
    rejectionEventId(input.source, key, input.fingerprint),
  );
  deps.logger.warn(LOG_MESSAGES.rejected, {
    correlationId: input.correlationId,
    source: input.source,
    category: input.category,
    reasonCode: input.reasons[0]?.code ?? 'UNKNOWN',
    reasons: input.reasons.map((r) => r.code),
    ...(input.reasons[0] ? { detail: input.reasons[0].message } : {}),
  } satisfies RejectedLine);
  return {
    status: 'rejected',
    category: input.category,
    reasons: input.reasons,
    eventId,
    ...(input.report ? { report: input.report } : {}),
  };
}

function modeOf(request: unknown): StreamingMode {
  const mode = (request as { streaming?: unknown } | undefined)?.streaming;
  return STREAMING_MODES.find((m) => m === mode) ?? 'auto';
}
