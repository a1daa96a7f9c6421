import type { TraceContext } from './trace-context.js';

/**
 * The log lines operators count and the fields Cloud Logging reads, defined once. The pipeline
 * writes these lines; the logs-based metrics of infra/terraform/monitoring.tf select them by
 * `jsonPayload.message` and read their fields as `jsonPayload.<field>`, and
 * test/integration/terraform-monitoring.test.ts checks every such path against lines the pipeline
 * wrote. Rename a message or a field here and that test names the metric to change.
 */
export const LOG_MESSAGES = {
  /** A job this call created: the launches metric and the launch latency distribution. */
  launched: 'job launched',
  /** A repeat: the key's job already existed (not a launch). */
  repeat: 'job already existed',
  /** A permanent refusal, published as `request.rejected`: the refusals metric. */
  rejected: 'request rejected',
  /** A `job.completed` published: the completions metric. */
  completed: 'job completed',
} as const;

/**
 * Fields of `job launched` and `job already existed`, besides `correlationId`, `source` and
 * `rule` (the launch's logger carries them).
 */
export interface LaunchLine {
  jobName: string;
  /** Also the `streamgate-job` log label. */
  jobId: string;
  region: string;
  /** Whether the job streams its image. */
  streaming: boolean;
  verdict: string;
  reasons: string[];
  /**
   * Milliseconds from the function's receipt of the event to Batch's answer to CreateJob; only
   * on `job launched`.
   */
  launchLatencyMs?: number;
}

/** Fields of `request rejected`. */
export interface RejectedLine {
  correlationId: string;
  source: string;
  category: string;
  /** The first reason's code (the refusals metric's label); every code is in `reasons`. */
  reasonCode: string;
  reasons: string[];
  detail?: string;
}

/** Fields of `job completed`. */
export interface CompletedLine {
  jobName: string;
  jobId: string;
  /** The terminal state Batch records. */
  state: string;
  streaming: boolean;
  correlationId: string;
  eventId: string;
}

/**
 * The special fields of a structured log line that Cloud Logging lifts into the LogEntry
 * (https://cloud.google.com/logging/docs/structured-logging).
 */
export const CLOUD_LOGGING_FIELDS = {
  trace: 'logging.googleapis.com/trace',
  spanId: 'logging.googleapis.com/spanId',
  traceSampled: 'logging.googleapis.com/trace_sampled',
  labels: 'logging.googleapis.com/labels',
} as const;

/** The log entry label with the job id (the correlation id's label is the job's own, labels.ts). */
export const JOB_LOG_LABEL = 'streamgate-job';

/**
 * The fields that put a log line in its request's trace: `projects/<project>/traces/<id>`, the
 * span and whether it was sampled. None without a trace.
 *
 * @example
 *   log.child(traceLogFields({ traceId: '0af7…', spanId: 'b7ad…' }, 'demo-project'))
 */
export function traceLogFields(trace: TraceContext | undefined, project: string): Record<string, unknown> {
  if (!trace) return {};
  return {
    [CLOUD_LOGGING_FIELDS.trace]: `projects/${project}/traces/${trace.traceId}`,
    ...(trace.spanId ? { [CLOUD_LOGGING_FIELDS.spanId]: trace.spanId } : {}),
    ...(trace.sampled !== undefined ? { [CLOUD_LOGGING_FIELDS.traceSampled]: trace.sampled } : {}),
  };
}
