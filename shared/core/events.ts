import * as z from 'zod';
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
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/)
    .max(64),
  message: z.string().max(2048),
});

export const JobNameSchema = z
  .string()
  .max(512)
  .regex(JOB_NAME_PATTERN)
  .describe('projects/P/locations/R/jobs/ID');
const JobUidSchema = z.string().min(1).max(256);
const RegionSchema = z.string().min(1).max(LIMITS.regionLength);
const CorrelationSchema = z.string().max(LIMITS.correlationIdLength);

const StreamingDecisionSchema = z.strictObject({
  enabled: z.boolean().describe('Whether the job was created with enableImageStreaming.'),
  mode: z.enum(STREAMING_MODES),
  verdict: z.enum(['eligible', 'ineligible', 'needs-resolution']),
  reasons: z.array(FindingSchema).max(64),
  warnings: z.array(FindingSchema).max(64),
  platformDigest: z.string().regex(DIGEST_PATTERN).optional(),
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
    jobId: z.string().max(63),
    region: RegionSchema,
    image: z.strictObject({
      reference: z.string().max(LIMITS.imageLength).describe('The image as requested.'),
      digest: z
        .string()
        .regex(DIGEST_PATTERN)
        .optional()
        .describe(
          'The resolved root digest; absent for images outside Artifact Registry, which are not read.',
        ),
      repairedFrom: z
        .string()
        .regex(DIGEST_PATTERN)
        .optional()
        .describe(
          'Mode "repair": the digest the image was repaired from; `digest` is then the repaired image the job runs.',
        ),
      uri: z.string().max(LIMITS.imageLength).describe('The imageUri the job runs.'),
    }),
    streaming: StreamingDecisionSchema,
    source: z.enum(LAUNCH_SOURCES),
    idempotencyKey: z.string().max(LIMITS.idempotencyKeyLength),
    correlationId: CorrelationSchema,
    created: z
      .boolean()
      .describe(
        'false when the job already existed (a repeat: same key, same request); the event then describes that job as Batch holds it.',
      ),
    rule: z.string().max(LIMITS.ruleNameLength).optional(),
  })
  .describe('A Batch job was created (or already existed) for a request.');
export type JobLaunchedData = z.infer<typeof JobLaunchedDataSchema>;

export const RequestRejectedDataSchema = z
  .strictObject({
    reasons: z.array(FindingSchema).min(1).max(64),
    source: z.enum(LAUNCH_SOURCES),
    correlationId: CorrelationSchema,
    idempotencyKey: z.string().max(LIMITS.idempotencyKeyLength).optional(),
    rule: z.string().max(LIMITS.ruleNameLength).optional(),
    request: RequestSummarySchema.optional(),
    streaming: StreamingDecisionSchema.optional().describe(
      'Set when the image was judged (e.g. require mode).',
    ),
  })
  .describe(
    'A request was refused permanently (IDEMPOTENCY_CONFLICT: its key already names another request); no job was created or changed.',
  );
export type RequestRejectedData = z.infer<typeof RequestRejectedDataSchema>;

export const JobCompletedDataSchema = z
  .strictObject({
    jobName: JobNameSchema,
    jobUid: JobUidSchema,
    region: RegionSchema,
    state: z.enum(TERMINAL_JOB_STATES),
    runDurationSeconds: z.number().min(0).optional(),
    tasks: z.strictObject({
      total: z.int().min(0),
      counts: z.partialRecord(z.enum(TASK_STATES), z.int().min(0)),
    }),
    failedTasks: z
      .array(z.strictObject({ task: z.string().max(512), exitCode: z.int().nullable() }))
      .max(1000)
      .describe('Failed tasks and their last exit code (null when Batch reported none).'),
    streaming: z.strictObject({ enabled: z.boolean() }),
    image: z.string().max(LIMITS.imageLength),
    correlationId: CorrelationSchema.describe('The label-safe correlation id from the job labels.'),
    source: z.string().max(20).optional(),
  })
  .describe('A streamgate job reached a terminal state.');
export type JobCompletedData = z.infer<typeof JobCompletedDataSchema>;

const JobStateChangedDataSchema = z
  .strictObject({
    jobName: JobNameSchema,
    jobUid: JobUidSchema,
    region: RegionSchema,
    state: z.enum(JOB_STATES),
    previousState: z.enum(JOB_STATES).optional(),
    correlationId: CorrelationSchema.optional(),
  })
  .describe('A streamgate job changed state (published only with events.stateChanged).');

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
