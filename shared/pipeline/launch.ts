import { EVENT_TYPES } from '../core/events.js';
import { launchEventId, rejectionEventId } from '../core/ids.js';
import { LIMITS } from '../core/limits.js';
import type { Finding } from '../core/reason-codes.js';
import type { LaunchRequest, LaunchSource } from '../core/request.js';
import { summarizeRequest } from '../core/request-summary.js';
import type { EligibilityReport } from '../core/eligibility.js';
import type { PipelineDeps } from './deps.js';
import type { LaunchOutcome, Rejected, RejectionCategory } from './outcomes.js';
import { planLaunch } from './plan.js';
import { publishEvent } from './publish-event.js';

export interface LaunchOptions {
  /** Plan only: judge and build the job, create nothing, publish nothing. */
  dryRun?: boolean;
}

/**
 * The one launch pipeline behind all three entry points: resolve → judge → region → build →
 * createJob (ALREADY_EXISTS counts as success) → publish `job.launched` or `request.rejected`.
 *
 * Transient failures (registry, Batch, Pub/Sub) throw a transient StreamgateError so the caller
 * retries; job ids and request ids derive from the idempotency key, so a retry never makes a
 * second job.
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
  const log = deps.logger.child({
    correlationId: request.correlationId,
    source: request.source,
    ...(request.rule ? { rule: request.rule } : {}),
  });
  const result = await planLaunch(request, deps);
  if (!result.ok) {
    if (options.dryRun)
      return {
        status: 'rejected',
        category: result.category,
        reasons: result.reasons,
        ...(result.report ? { report: result.report } : {}),
      };
    return reject(deps, {
      source: request.source,
      correlationId: request.correlationId,
      idempotencyKey: request.idempotencyKey,
      category: result.category,
      reasons: result.reasons,
      request,
      ...(result.report ? { report: result.report } : {}),
      ...(request.rule ? { rule: request.rule } : {}),
    });
  }
  const planned = result.planned;
  if (options.dryRun) return planned;

  // A repeated requestId makes Batch answer with the first call's job rather than ALREADY_EXISTS,
  // so a redelivery would look "created" again; looking first tells a repeat apart.
  const existing = await deps.batch.getJob(`${planned.plan.parent}/jobs/${planned.plan.jobId}`);
  const { job, created } = existing
    ? { job: existing, created: false }
    : await deps.batch.createJob(planned.plan);
  const jobName = job.name ?? `${planned.plan.parent}/jobs/${planned.plan.jobId}`;
  const jobUid = job.uid ?? planned.plan.jobId;
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.launched,
    {
      jobName,
      jobUid,
      jobId: planned.plan.jobId,
      region: planned.jobRegion,
      image: {
        reference: request.image,
        ...(planned.digest ? { digest: planned.digest } : {}),
        uri: planned.imageUri,
      },
      streaming: planned.streaming,
      source: request.source,
      idempotencyKey: request.idempotencyKey,
      correlationId: eventCorrelationId(request.correlationId),
      created,
      ...(request.rule ? { rule: request.rule } : {}),
    },
    launchEventId(planned.plan.jobId),
    jobName,
  );
  log.info(created ? 'job launched' : 'job already existed', {
    jobName,
    region: planned.jobRegion,
    streaming: planned.streaming.enabled,
    verdict: planned.report.verdict,
    reasons: planned.report.reasons.map((r) => r.code),
  });
  return { ...planned, status: 'launched', created, jobName, jobUid, eventId };
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
}

/**
 * A permanent refusal: logged at WARNING and published as `request.rejected`. Publishing can fail
 * transiently, in which case this throws and the caller retries.
 */
export async function reject(deps: PipelineDeps, input: RejectInput): Promise<Rejected> {
  const key = input.idempotencyKey ?? input.correlationId;
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.rejected,
    {
      reasons: input.reasons.map((r) => ({ code: r.code, message: r.message.slice(0, 2048) })),
      source: input.source,
      correlationId: eventCorrelationId(input.correlationId),
      ...(input.idempotencyKey
        ? { idempotencyKey: input.idempotencyKey.slice(0, LIMITS.idempotencyKeyLength) }
        : {}),
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
    rejectionEventId(input.source, key),
  );
  deps.logger.warn('request rejected', {
    correlationId: input.correlationId,
    source: input.source,
    category: input.category,
    reasons: input.reasons.map((r) => r.code),
    detail: input.reasons[0]?.message,
  });
  return {
    status: 'rejected',
    category: input.category,
    reasons: input.reasons,
    eventId,
    ...(input.report ? { report: input.report } : {}),
  };
}

/**
 * Correlation ids can come from Pub/Sub message ids and CloudEvent ids (up to 256 and 512
 * characters), longer than events allow; a too-long id must not turn a launch or a refusal into
 * an event-validation failure (a 500 and endless redelivery), so events carry its prefix.
 */
function eventCorrelationId(correlationId: string): string {
  return correlationId.slice(0, LIMITS.correlationIdLength);
}

function modeOf(request: unknown): 'auto' | 'require' | 'off' {
  const mode = (request as { streaming?: unknown } | undefined)?.streaming;
  return mode === 'require' || mode === 'off' ? mode : 'auto';
}
