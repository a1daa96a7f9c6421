import './zod-locale.js';
import * as z from 'zod/mini';
import type { EligibilityReport } from './eligibility.js';
import { JOB_ID_PATTERN } from './ids.js';
import { LIMITS } from './limits.js';
import { LAUNCH_SOURCES, STREAMING_MODES, type StreamingMode } from './request.js';
import { RequestSummarySchema } from './request-summary.js';

/**
 * Data schemas of the CloudEvents streamgate publishes to the events topic. Each type is
 * versioned (`.v1`): fields are never removed or retyped within a version.
 */

export const EVENT_TYPES = {
  launched: 'dev.streamgate.job.launched.v1',
  rejected: 'dev.streamgate.request.rejected.v1',
  completed: 'dev.streamgate.job.completed.v1',
  stateChanged: 'dev.streamgate.job.state_changed.v1',
} as const;

/** Batch JobStatus.State values. */
export const JOB_STATES = [
  'STATE_UNSPECIFIED',
  'QUEUED',
  'SCHEDULED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'DELETION_IN_PROGRESS',
  'CANCELLATION_IN_PROGRESS',
  'CANCELLED',
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_JOB_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type TerminalJobState = (typeof TERMINAL_JOB_STATES)[number];

/** Batch TaskStatus.State values. */
const TASK_STATES = [
  'STATE_UNSPECIFIED',
  'PENDING',
  'ASSIGNED',
  'RUNNING',
  'FAILED',
  'SUCCEEDED',
  'UNEXECUTED',
] as const;

/** A Batch job's full name: `projects/P/locations/R/jobs/` and a job id (JOB_ID_PATTERN). */
const JOB_NAME_PATTERN = new RegExp(
  `^projects/[^/]+/locations/[a-z0-9-]+/jobs/${JOB_ID_PATTERN.source.slice(1)}`,
);
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

const FindingSchema = z.strictObject({
  code: z.string().check(z.regex(/^[A-Z][A-Z0-9_]*$/), z.maxLength(64)),
  message: z.string().check(z.maxLength(2048)),
});

export const JobNameSchema = z
  .string()
  .check(z.maxLength(512), z.regex(JOB_NAME_PATTERN), z.describe('projects/P/locations/R/jobs/ID'));
const JobUidSchema = z.string().check(z.minLength(1), z.maxLength(256));
const RegionSchema = z.string().check(z.minLength(1), z.maxLength(LIMITS.regionLength));
const CorrelationSchema = z.string().check(z.maxLength(LIMITS.correlationIdLength));

const StreamingDecisionSchema = z.strictObject({
  enabled: z.boolean().check(z.describe('Whether the job was created with enableImageStreaming.')),
  mode: z.enum(STREAMING_MODES),
  verdict: z.enum(['eligible', 'ineligible', 'needs-resolution']),
  reasons: z.array(FindingSchema).check(z.maxLength(64)),
  warnings: z.array(FindingSchema).check(z.maxLength(64)),
  platformDigest: z.optional(z.string().check(z.regex(DIGEST_PATTERN))),
});
export type StreamingDecision = z.infer<typeof StreamingDecisionSchema>;

/**
 * The streaming decision of a job from its eligibility report, its mode and whether streaming is
 * on. An eligible image that runs without streaming because the request said `off` gets the
 * warning STREAMING_DISABLED_BY_REQUEST.
 *
 * @example streamingDecisionOf(report, 'auto', report.verdict === 'eligible')
 */
export function streamingDecisionOf(
  report: EligibilityReport,
  mode: StreamingMode,
  enabled: boolean,
): StreamingDecision {
  const disabledByRequest = mode === 'off' && report.verdict === 'eligible';
  return {
    enabled,
    mode,
    verdict: report.verdict,
    reasons: report.reasons,
    warnings: disabledByRequest
      ? [
          ...report.warnings,
          {
            code: 'STREAMING_DISABLED_BY_REQUEST',
            message: 'The image could be streamed, but the request set streaming to "off".',
          },
        ]
      : report.warnings,
    ...(report.platformDigest ? { platformDigest: report.platformDigest } : {}),
  };
}

export const JobLaunchedDataSchema = z
  .strictObject({
    jobName: JobNameSchema,
    jobUid: JobUidSchema,
    jobId: z.string().check(z.maxLength(63)),
    region: RegionSchema,
    image: z.strictObject({
      reference: z.string().check(z.maxLength(LIMITS.imageLength), z.describe('The image as requested.')),
      digest: z
        .optional(z.string().check(z.regex(DIGEST_PATTERN)))
        .check(
          z.describe(
            'The resolved root digest; absent for images outside Artifact Registry, which are not read.',
          ),
        ),
      repairedFrom: z
        .optional(z.string().check(z.regex(DIGEST_PATTERN)))
        .check(
          z.describe(
            'Mode "repair": the digest the image was repaired from; `digest` is then the repaired image the job runs.',
          ),
        ),
      uri: z.string().check(z.maxLength(LIMITS.imageLength), z.describe('The imageUri the job runs.')),
    }),
    streaming: StreamingDecisionSchema,
    source: z.enum(LAUNCH_SOURCES),
    idempotencyKey: z.string().check(z.maxLength(LIMITS.idempotencyKeyLength)),
    correlationId: CorrelationSchema,
    created: z
      .boolean()
      .check(
        z.describe(
          'false when the job already existed (a repeat: same key, same request); the event then describes that job as Batch holds it.',
        ),
      ),
    rule: z.optional(z.string().check(z.maxLength(LIMITS.ruleNameLength))),
  })
  .check(z.describe('A Batch job was created (or already existed) for a request.'));
export type JobLaunchedData = z.infer<typeof JobLaunchedDataSchema>;

export const RequestRejectedDataSchema = z
  .strictObject({
    reasons: z.array(FindingSchema).check(z.minLength(1), z.maxLength(64)),
    source: z.enum(LAUNCH_SOURCES),
    correlationId: CorrelationSchema,
    idempotencyKey: z.optional(z.string().check(z.maxLength(LIMITS.idempotencyKeyLength))),
    rule: z.optional(z.string().check(z.maxLength(LIMITS.ruleNameLength))),
    request: z.optional(RequestSummarySchema),
    streaming: z
      .optional(StreamingDecisionSchema)
      .check(z.describe('Set when the image was judged (e.g. require mode).')),
  })
  .check(
    z.describe(
      'A request was refused permanently (IDEMPOTENCY_CONFLICT: its key already names another request); no job was created or changed.',
    ),
  );
export type RequestRejectedData = z.infer<typeof RequestRejectedDataSchema>;

export const JobCompletedDataSchema = z
  .strictObject({
    jobName: JobNameSchema,
    jobUid: JobUidSchema,
    region: RegionSchema,
    state: z.enum(TERMINAL_JOB_STATES),
    runDurationSeconds: z.optional(z.number().check(z.minimum(0))),
    tasks: z.strictObject({
      total: z.int().check(z.minimum(0)),
      counts: z.partialRecord(z.enum(TASK_STATES), z.int().check(z.minimum(0))),
    }),
    failedTasks: z
      .array(z.strictObject({ task: z.string().check(z.maxLength(512)), exitCode: z.nullable(z.int()) }))
      .check(
        z.maxLength(1000),
        z.describe('Failed tasks and their last exit code (null when Batch reported none).'),
      ),
    streaming: z.strictObject({ enabled: z.boolean() }),
    image: z.string().check(z.maxLength(LIMITS.imageLength)),
    correlationId: CorrelationSchema.check(z.describe('The label-safe correlation id from the job labels.')),
    source: z.optional(z.string().check(z.maxLength(20))),
  })
  .check(z.describe('A streamgate job reached a terminal state.'));
export type JobCompletedData = z.infer<typeof JobCompletedDataSchema>;

const JobStateChangedDataSchema = z
  .strictObject({
    jobName: JobNameSchema,
    jobUid: JobUidSchema,
    region: RegionSchema,
    state: z.enum(JOB_STATES),
    previousState: z.optional(z.enum(JOB_STATES)),
    correlationId: z.optional(CorrelationSchema),
  })
  .check(z.describe('A streamgate job changed state (published only with events.stateChanged).'));

/** Data schema per event type. */
export const EVENT_DATA_SCHEMAS = {
  [EVENT_TYPES.launched]: JobLaunchedDataSchema,
  [EVENT_TYPES.rejected]: RequestRejectedDataSchema,
  [EVENT_TYPES.completed]: JobCompletedDataSchema,
  [EVENT_TYPES.stateChanged]: JobStateChangedDataSchema,
} as const;
export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
export type EventData<T extends EventType> = z.output<(typeof EVENT_DATA_SCHEMAS)[T]>;

/** True for the event types streamgate publishes. */
export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_DATA_SCHEMAS, type);
}
