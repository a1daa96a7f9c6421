import '../core/zod-locale.js';
import * as z from 'zod/mini';
import {
  EVENT_TYPES,
  JobNameSchema,
  JOB_STATES,
  TERMINAL_JOB_STATES,
  type JobState,
  type TerminalJobState,
} from '../core/events.js';
import { StreamgateError } from '../core/errors.js';
import { completionEventId, jobNameParts, stateChangedEventId } from '../core/ids.js';
import { readStreamgateLabels } from '../core/labels.js';
import { LOG_MESSAGES, type CompletedLine } from '../core/log-lines.js';
import type { JobSnapshot, TaskSummary } from '../core/ports.js';
import type { Finding } from '../core/reason-codes.js';
import type { PipelineDeps } from './deps.js';
import { publishEvent } from './publish-event.js';

/**
 * Batch job notifications (docs/platform-facts.md): attributes `JobName`, `JobUID`, `NewJobState`,
 * `Region`, sometimes `Type`; the data is a plain-text sentence, which we do not parse.
 */
export const JobNotificationSchema = z.looseObject({
  JobName: JobNameSchema,
  JobUID: z.string().check(z.minLength(1), z.maxLength(256)),
  NewJobState: z.enum(JOB_STATES),
  Region: z.optional(z.string().check(z.maxLength(64))),
  Type: z.optional(z.string().check(z.maxLength(64))),
});
type JobNotification = z.infer<typeof JobNotificationSchema>;

export type CompletionOutcome =
  { status: 'published'; eventId: string; state: JobState } | { status: 'ignored'; reason: Finding };

const TERMINAL = new Set<string>(TERMINAL_JOB_STATES);
type LogLevel = 'DEBUG' | 'INFO' | 'WARNING';
type Labels = ReturnType<typeof readStreamgateLabels>;

/**
 * Turns a Batch notification into `job.completed` or, when configured, `job.state_changed`. A
 * notification only says which job to look at: the state, uid and region published are the ones
 * `GetJob` returns, never the notification's attributes (anyone who may publish to the topic, the
 * job's own VMs included, can forge them).
 *
 * - Claims a terminal state: `job.completed` with Batch's terminal state. While Batch does not show
 *   one, this throws a transient JOB_STATE_UNCONFIRMED, so Pub/Sub redelivers (a forged claim ends
 *   in the dead-letter topic, never in an event).
 * - Claims a non-terminal state: `job.state_changed` only when Batch records that very state;
 *   a late or forged claim is acknowledged without an event (the notification of the state Batch
 *   does record reports it).
 * - Jobs Batch does not know (WARNING), foreign jobs, task-level and garbled messages are
 *   acknowledged and ignored with a reason. Batch or Pub/Sub failures throw a transient error.
 *
 * Event ids derive from Batch's job uid and state, so duplicates publish the same id.
 *
 * @example await handleJobNotification(message.attributes, { messageId: message.messageId }, deps)
 */
export async function handleJobNotification(
  attributes: Record<string, string>,
  meta: { messageId: string },
  deps: PipelineDeps,
): Promise<CompletionOutcome> {
  const log = deps.logger.child({ notificationId: meta.messageId });
  const read = readNotification(attributes);
  if (!read.ok)
    return ignored(log, read.reason, read.reason.code === 'UNSUPPORTED_EVENT' ? 'DEBUG' : 'WARNING');
  const note = read.note;
  const claim = note.NewJobState;
  if (!TERMINAL.has(claim) && !deps.config.events.stateChanged) {
    return ignored(log, { code: 'UNSUPPORTED_EVENT', message: `State ${claim} is not terminal.` }, 'DEBUG');
  }
  const found = await managedJob(note.JobName, deps.batch);
  if ('code' in found) return ignored(log, found, found.code === 'FOREIGN_JOB' ? 'DEBUG' : 'WARNING');
  // From here on, the lines are the job's: its request's correlation id and its id label them.
  const jobLog = log.child({
    ...(found.labels.correlation ? { correlationId: found.labels.correlation } : {}),
    jobId: jobNameParts(note.JobName)?.jobId,
  });
  return publishConfirmed(note, found, { ...deps, logger: jobLog });
}

/** The job as Batch records it, with its streamgate labels; NOT_FOUND or FOREIGN_JOB otherwise. */
async function managedJob(
  jobName: string,
  batch: PipelineDeps['batch'],
): Promise<{ job: JobSnapshot; labels: Labels } | Finding> {
  const job = await batch.getJob(jobName);
  if (!job) {
    return {
      code: 'NOT_FOUND',
      message: `Batch has no job ${jobName} (deleted since, or the notification is forged); nothing is published.`,
    };
  }
  const labels = readStreamgateLabels(job.labels);
  if (!labels.managed) {
    return { code: 'FOREIGN_JOB', message: `Job ${jobName} was not created by streamgate.` };
  }
  return { job, labels };
}

/**
 * Publishes what Batch confirms of the claim: `job.completed` for a terminal claim once Batch
 * records a terminal state (JOB_STATE_UNCONFIRMED until then), `job.state_changed` for the very
 * state Batch records; a late or forged non-terminal claim is ignored.
 */
async function publishConfirmed(
  note: JobNotification,
  { job, labels }: { job: JobSnapshot; labels: Labels },
  deps: PipelineDeps,
): Promise<CompletionOutcome> {
  const claim = note.NewJobState;
  const recorded = job.state;
  if (TERMINAL.has(claim)) {
    if (!TERMINAL.has(recorded)) throw unconfirmed(note.JobName, claim, recorded);
    return publishCompleted(job, recorded as TerminalJobState, labels, note.JobName, deps);
  }
  if (recorded !== claim) {
    const message = `Batch records job ${note.JobName} as ${recorded}, not ${claim}; no state event (the notification is late or forged).`;
    return ignored(deps.logger, { code: 'UNSUPPORTED_EVENT', message }, 'INFO');
  }
  return publishStateChanged(job, claim, labels, note.JobName, deps);
}

/** The notification's attributes, or why they are not a job-level Batch notification. */
function readNotification(
  attributes: Record<string, string>,
): { ok: true; note: JobNotification } | { ok: false; reason: Finding } {
  if (attributes.Type === 'TASK_STATE_CHANGED' || (attributes.TaskUID && !attributes.JobName)) {
    const message = 'Task-level notifications are not used by streamgate.';
    return { ok: false, reason: { code: 'UNSUPPORTED_EVENT', message } };
  }
  const parsed = JobNotificationSchema.safeParse(attributes);
  if (parsed.success) return { ok: true, note: parsed.data };
  const first = parsed.error.issues[0];
  const why = first ? `${first.path.join('.')}: ${first.message}` : 'bad attributes';
  return {
    ok: false,
    reason: { code: 'INVALID_ENVELOPE', message: `Not a Batch job notification (${why}).` },
  };
}

function unconfirmed(jobName: string, claim: string, recorded: string): StreamgateError {
  return new StreamgateError(
    'JOB_STATE_UNCONFIRMED',
    `A notification says job ${jobName} is ${claim}, but Batch records ${recorded}; retried until Batch shows a terminal state (a forged notification ends in the dead-letter topic).`,
    { kind: 'transient', details: { jobName, claimed: claim, recorded } },
  );
}

/** `job.state_changed` for a state Batch records now. */
async function publishStateChanged(
  job: JobSnapshot,
  state: JobState,
  labels: Labels,
  notified: string,
  deps: PipelineDeps,
): Promise<CompletionOutcome> {
  const facts = jobFacts(job, notified, deps.config.project);
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.stateChanged,
    {
      ...facts,
      state,
      ...(labels.correlation ? { correlationId: labels.correlation } : {}),
    },
    stateChangedEventId(facts.jobUid, state),
    facts.jobName,
  );
  return { status: 'published', eventId, state };
}

/** `job.completed` with Batch's terminal state, counts and image. */
async function publishCompleted(
  job: JobSnapshot,
  state: TerminalJobState,
  labels: Labels,
  notified: string,
  deps: PipelineDeps,
): Promise<CompletionOutcome> {
  const facts = jobFacts(job, notified, deps.config.project);
  const correlationId = labels.correlation ?? '';
  const tasks = await deps.batch.listTasks(job.name ?? notified);
  const duration = job.runDurationSeconds;
  const streaming = job.streaming ?? labels.streaming ?? false;
  const eventId = await publishEvent(
    deps,
    EVENT_TYPES.completed,
    {
      ...facts,
      state,
      ...(duration !== undefined ? { runDurationSeconds: duration } : {}),
      tasks: taskCounts(job, tasks),
      failedTasks: failedTasks(tasks),
      streaming: { enabled: streaming },
      image: job.image,
      correlationId,
      ...(labels.source ? { source: labels.source } : {}),
    },
    completionEventId(facts.jobUid, state),
    facts.jobName,
  );
  deps.logger.info(LOG_MESSAGES.completed, {
    jobName: facts.jobName,
    jobId: jobNameParts(facts.jobName)?.jobId ?? facts.jobUid,
    state,
    streaming,
    correlationId,
    eventId,
  } satisfies CompletedLine);
  return { status: 'published', eventId, state };
}

/**
 * Name, uid and region as Batch holds them. The notification's name is only the fallback for a job
 * record without one: GetJob found the job under that name.
 */
function jobFacts(
  job: JobSnapshot,
  notified: string,
  project: string,
): { jobName: string; jobUid: string; region: string } {
  const jobName = canonicalName(job, notified, project);
  return { jobName, jobUid: job.uid || jobName, region: jobNameParts(jobName)?.region ?? 'unknown' };
}

function ignored(
  log: PipelineDeps['logger'],
  reason: Finding,
  level: LogLevel = 'WARNING',
): CompletionOutcome {
  const write = level === 'DEBUG' ? log.debug : level === 'INFO' ? log.info : log.warn;
  write('notification ignored', { reason: reason.code, detail: reason.message });
  return { status: 'ignored', reason };
}

/** Notifications name the project by number; events use the configured project id. */
function canonicalName(job: JobSnapshot, fallback: string, project: string): string {
  const name = job.name ?? fallback;
  return name.replace(/^projects\/[^/]+\//, `projects/${project}/`);
}

function taskCounts(
  job: JobSnapshot,
  tasks: TaskSummary[],
): { total: number; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  for (const task of tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
  const known = Object.fromEntries(Object.entries(counts).filter(([state]) => state !== 'STATE_UNSPECIFIED'));
  return { total: job.taskCount ?? tasks.length, counts: known };
}

function failedTasks(tasks: TaskSummary[]): Array<{ task: string; exitCode: number | null }> {
  return tasks
    .filter((task) => task.state === 'FAILED')
    .slice(0, 1000)
    .map((task) => ({ task: task.name, exitCode: task.exitCode }));
}
