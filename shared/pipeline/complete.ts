import { z } from 'zod';
import {
  EVENT_TYPES,
  JOB_STATES,
  TERMINAL_JOB_STATES,
  type JobState,
  type TerminalJobState,
} from '../core/events.js';
import { completionEventId, stateChangedEventId } from '../core/ids.js';
import { readStreamgateLabels } from '../core/labels.js';
import type { Finding } from '../core/reason-codes.js';
import type { PipelineDeps } from './deps.js';
import type { BatchJob, BatchTask } from './launch-ports.js';
import { publishEvent } from './publish-event.js';

/**
 * Batch job notifications (docs/platform-facts.md): attributes `JobName`, `JobUID`, `NewJobState`,
 * `Region`, sometimes `Type`; the data is a plain-text sentence, which we do not parse.
 */
export const JobNotificationSchema = z.looseObject({
  JobName: z
    .string()
    .max(512)
    .regex(/^projects\/[^/]+\/locations\/[a-z0-9-]+\/jobs\/[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/),
  JobUID: z.string().min(1).max(256),
  NewJobState: z.enum(JOB_STATES),
  Region: z.string().max(64).optional(),
  Type: z.string().max(64).optional(),
});

export type CompletionOutcome =
  { status: 'published'; eventId: string; state: JobState } | { status: 'ignored'; reason: Finding };

const TERMINAL = new Set<string>(TERMINAL_JOB_STATES);

/**
 * Turns a Batch notification into `job.completed` (terminal states) or, when configured,
 * `job.state_changed`. Foreign jobs, task-level and garbled messages are acknowledged and ignored
 * with a reason; Batch or Pub/Sub failures throw a transient error so the message is redelivered.
 * The event id derives from the job uid and state, so duplicate notifications publish the same id.
 */
export async function handleJobNotification(
  attributes: Record<string, string>,
  meta: { messageId: string },
  deps: PipelineDeps,
): Promise<CompletionOutcome> {
  const log = deps.logger.child({ notificationId: meta.messageId });
  if (attributes.Type === 'TASK_STATE_CHANGED' || (attributes.TaskUID && !attributes.JobName)) {
    return ignored(log, {
      code: 'UNSUPPORTED_EVENT',
      message: 'Task-level notifications are not used by streamgate.',
    });
  }
  const parsed = JobNotificationSchema.safeParse(attributes);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return ignored(log, {
      code: 'INVALID_ENVELOPE',
      message: `Not a Batch job notification (${first ? `${first.path.join('.')}: ${first.message}` : 'bad attributes'}).`,
    });
  }
  const note = parsed.data;
  const terminal = TERMINAL.has(note.NewJobState);
  if (!terminal && !deps.config.events.stateChanged) {
    log.debug('non-terminal state acknowledged', { jobName: note.JobName, state: note.NewJobState });
    return ignored(
      log,
      { code: 'UNSUPPORTED_EVENT', message: `State ${note.NewJobState} is not terminal.` },
      'DEBUG',
    );
  }

  const job = await deps.batch.getJob(note.JobName);
  if (!job) {
    return ignored(log, {
      code: 'NOT_FOUND',
      message: `Job ${note.JobName} no longer exists; nothing to report.`,
    });
  }
  const labels = readStreamgateLabels(job.labels ?? undefined);
  if (!labels.managed) {
    return ignored(
      log,
      { code: 'FOREIGN_JOB', message: `Job ${note.JobName} was not created by streamgate.` },
      'DEBUG',
    );
  }
  const jobName = canonicalName(job, note.JobName, deps.config.project);
  const region = note.Region ?? regionOf(jobName);
  const correlationId = labels.correlation ?? '';

  if (!terminal) {
    const eventId = await publishEvent(
      deps,
      EVENT_TYPES.stateChanged,
      {
        jobName,
        jobUid: note.JobUID,
        region,
        state: note.NewJobState,
        ...(correlationId ? { correlationId } : {}),
      },
      stateChangedEventId(note.JobUID, note.NewJobState),
      jobName,
    );
    return { status: 'published', eventId, state: note.NewJobState };
  }

  // Batch's own record wins once it is terminal (a terminal state never changes), so duplicate or
  // garbled notifications for one job agree on the state, the uid and therefore the event id.
  const recorded = String(job.status?.state ?? '');
  const state = (TERMINAL.has(recorded) ? recorded : note.NewJobState) as TerminalJobState;
  const jobUid = job.uid || note.JobUID;
  const tasks = await deps.batch.listTasks(job.name ?? note.JobName);
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.completed,
    {
      jobName,
      jobUid,
      region,
      state,
      ...(runDurationSeconds(job) !== undefined ? { runDurationSeconds: runDurationSeconds(job) } : {}),
      tasks: taskCounts(job, tasks),
      failedTasks: failedTasks(tasks),
      streaming: { enabled: streamingEnabled(job, labels.streaming) },
      image: imageOf(job),
      correlationId,
      ...(labels.source ? { source: labels.source } : {}),
    },
    completionEventId(jobUid, state),
    jobName,
  );
  log.info('job completed', { jobName, state, correlationId, eventId });
  return { status: 'published', eventId, state };
}

function ignored(
  log: PipelineDeps['logger'],
  reason: Finding,
  level: 'DEBUG' | 'WARNING' = 'WARNING',
): CompletionOutcome {
  (level === 'DEBUG' ? log.debug : log.warn)('notification ignored', {
    reason: reason.code,
    detail: reason.message,
  });
  return { status: 'ignored', reason };
}

/** Notifications name the project by number; events use the configured project id. */
function canonicalName(job: BatchJob, fallback: string, project: string): string {
  const name = job.name ?? fallback;
  return name.replace(/^projects\/[^/]+\//, `projects/${project}/`);
}

function regionOf(jobName: string): string {
  return /\/locations\/([^/]+)\//.exec(jobName)?.[1] ?? 'unknown';
}

function seconds(duration: { seconds?: unknown; nanos?: unknown } | null | undefined): number | undefined {
  if (!duration) return undefined;
  const s = Number(duration.seconds ?? 0);
  const n = Number(duration.nanos ?? 0);
  return Number.isFinite(s) && Number.isFinite(n) ? s + n / 1e9 : undefined;
}

function runDurationSeconds(job: BatchJob): number | undefined {
  return seconds(job.status?.runDuration as { seconds?: unknown; nanos?: unknown } | null | undefined);
}

function taskCounts(job: BatchJob, tasks: BatchTask[]): { total: number; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  for (const task of tasks) {
    const state = String(task.status?.state ?? 'STATE_UNSPECIFIED');
    counts[state] = (counts[state] ?? 0) + 1;
  }
  const declared = Number(job.taskGroups?.[0]?.taskCount ?? tasks.length);
  const known = Object.fromEntries(Object.entries(counts).filter(([state]) => state !== 'STATE_UNSPECIFIED'));
  return { total: Number.isFinite(declared) ? declared : tasks.length, counts: known };
}

function failedTasks(tasks: BatchTask[]): Array<{ task: string; exitCode: number | null }> {
  return tasks
    .filter((task) => String(task.status?.state) === 'FAILED')
    .slice(0, 1000)
    .map((task) => {
      const events = task.status?.statusEvents ?? [];
      let exitCode: number | null = null;
      for (const event of events) {
        const code = event.taskExecution?.exitCode;
        if (code !== undefined && code !== null) exitCode = Number(code);
      }
      return { task: String(task.name ?? 'unknown').slice(0, 512), exitCode };
    });
}

function streamingEnabled(job: BatchJob, label: boolean | undefined): boolean {
  const container = job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container;
  return Boolean(container?.enableImageStreaming ?? label ?? false);
}

function imageOf(job: BatchJob): string {
  return String(job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.imageUri ?? '').slice(0, 1024);
}
