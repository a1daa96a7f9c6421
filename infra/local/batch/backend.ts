import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../shared/adapters/logger.js';
import { applyTransition, newTasks, nextJobState } from './lifecycle.js';
import type { JobTransition } from './lifecycle.js';
import { compileFilter, pageOf } from './listing.js';
import {
  formatJobName,
  generateJobId,
  makeJobUid,
  parseJobName,
  parseParent,
  parseTaskGroupName,
  parseTaskName,
  TASK_GROUP,
  withProject,
} from './names.js';
import type { JobKey } from './names.js';
import { messagesFor } from './notification-format.js';
import { NotificationDelivery } from './notifier.js';
import type { Notify } from './notifier.js';
import { doneOperation } from './operation.js';
import type { DoneOperation } from './operation.js';
import { decideOutcome } from './outcome.js';
import { CreateJobRequestSchema, ListRequestSchema, NameRequestSchema, parseRequest } from './requests.js';
import { BatchRpcError, invalidArgument, notFound } from './rpc-error.js';
import { JobStore } from './store.js';
import type { JobRecord, StoredJob } from './store.js';
import type { TimerSet } from './timers.js';
import { validateCreateJob } from './validation.js';
import { isTerminal, toTimestamp } from './wire.js';
import type { JobState, Task } from './wire.js';

/** How long a job stays in each state before moving on, in milliseconds. */
export interface LifecycleTimings {
  queuedMs: number;
  scheduledMs: number;
  runningMs: number;
}

export interface BackendOptions {
  /** Timed transitions, or 'manual' to move jobs only through `advance`. */
  timings: LifecycleTimings | 'manual';
  projectNumber: (project: string) => string;
  now: () => number;
  notify?: Notify;
  notifyAttempts: number;
  notifyBackoffMs: number;
  jobTypeAttribute: boolean;
  timers: TimerSet;
  logger: Logger;
}

/**
 * What BatchService does, independent of gRPC: the job store, validation, lifecycle timers and
 * notifications. Methods take decoded requests and return response objects, or throw
 * BatchRpcError.
 */
export class BatchBackend {
  readonly store: JobStore;
  private readonly stepTimers = new Map<string, NodeJS.Timeout>();
  private readonly delivery: NotificationDelivery | undefined;

  constructor(private readonly options: BackendOptions) {
    this.store = new JobStore(options.projectNumber);
    this.delivery = options.notify
      ? new NotificationDelivery({
          notify: options.notify,
          logger: options.logger,
          timers: options.timers,
          attempts: options.notifyAttempts,
          baseDelayMs: options.notifyBackoffMs,
        })
      : undefined;
  }

  createJob(raw: unknown): StoredJob {
    const request = parseRequest(CreateJobRequestSchema, raw, 'CreateJobRequest');
    const valid = validateCreateJob(request);
    const now = this.options.now();
    // A repeated request_id answers with the first call's job, not an error.
    if (valid.requestId !== '') {
      const earlier = this.store.byRequestId(valid.requestId, now);
      if (earlier) return structuredClone(earlier.job);
    }
    const key: JobKey = {
      project: valid.project,
      region: valid.region,
      jobId: valid.jobId || generateJobId(),
    };
    const name = formatJobName(key);
    if (this.store.find(key)) {
      throw new BatchRpcError(grpc.status.ALREADY_EXISTS, `Job ${name} already exists.`);
    }
    const group = valid.job.taskGroups[0]!;
    const job: StoredJob = {
      ...valid.job,
      taskGroups: [{ ...group, name: `${name}/taskGroups/${TASK_GROUP}`, taskCount: valid.taskCount }],
      name,
      uid: makeJobUid(key.jobId),
      status: { state: 'STATE_UNSPECIFIED', statusEvents: [], taskGroups: {}, runDuration: null },
      createTime: toTimestamp(now),
      updateTime: toTimestamp(now),
    };
    const record: JobRecord = {
      key,
      name,
      seq: this.store.takeSeq(),
      job,
      tasks: newTasks(name, valid.taskCount),
      outcome: decideOutcome(group.taskSpec?.runnables ?? []),
      requestId: valid.requestId,
    };
    this.store.add(record);
    if (valid.requestId !== '') this.store.rememberRequestId(valid.requestId, record, now);
    this.transition(record, 'QUEUED');
    this.scheduleNext(record);
    this.options.logger.debug('batch stand-in: job created', { name, exitCode: record.outcome.exitCode });
    return structuredClone(job);
  }

  getJob(raw: unknown): StoredJob {
    const { name } = parseRequest(NameRequestSchema, raw, 'GetJobRequest');
    return structuredClone(this.requireJob(name).job);
  }

  listJobs(raw: unknown): { jobs: StoredJob[]; nextPageToken: string; unreachable: string[] } {
    const request = parseRequest(ListRequestSchema, raw, 'ListJobsRequest');
    const parent = parseParent(request.parent);
    if (!parent)
      throw invalidArgument(
        `parent "${request.parent}" must have the form projects/{project}/locations/{location}.`,
      );
    const matches = compileFilter(request.filter, ['name', 'uid', 'state', 'status.state', 'labels.*']);
    const records = this.store
      .under(parent.project, parent.location)
      .filter((r) => matches(jobFilterFields(r)));
    const { page, nextPageToken } = pageOf(
      sortJobs(records, request.orderBy),
      request.pageSize,
      request.pageToken,
    );
    return { jobs: page.map((r) => structuredClone(r.job)), nextPageToken, unreachable: [] };
  }

  deleteJob(raw: unknown): DoneOperation {
    const { name } = parseRequest(NameRequestSchema, raw, 'DeleteJobRequest');
    const record = this.requireJob(name);
    this.options.timers.clear(this.stepTimers.get(record.name));
    this.stepTimers.delete(record.name);
    this.store.remove(record);
    return doneOperation({
      parent: record.name.replace(/\/jobs\/[^/]+$/, ''),
      target: record.name,
      verb: 'delete',
      responseType: 'google.protobuf.Empty',
      at: this.options.now(),
    });
  }

  cancelJob(raw: unknown): DoneOperation {
    const { name } = parseRequest(NameRequestSchema, raw, 'CancelJobRequest');
    const record = this.requireJob(name);
    const state = record.job.status.state;
    if (isTerminal(state)) {
      throw new BatchRpcError(
        grpc.status.FAILED_PRECONDITION,
        `Job ${record.name} is already ${state} and cannot be cancelled.`,
      );
    }
    this.options.timers.clear(this.stepTimers.get(record.name));
    this.stepTimers.delete(record.name);
    this.transition(record, 'CANCELLATION_IN_PROGRESS');
    this.transition(record, 'CANCELLED');
    return doneOperation({
      parent: record.name.replace(/\/jobs\/[^/]+$/, ''),
      target: record.name,
      verb: 'cancel',
      responseType: 'google.cloud.batch.v1.CancelJobResponse',
      at: this.options.now(),
    });
  }

  getTask(raw: unknown): Task {
    const { name } = parseRequest(NameRequestSchema, raw, 'GetTaskRequest');
    const parsed = parseTaskName(name);
    if (!parsed) {
      throw invalidArgument(
        `name "${name}" must have the form projects/{project}/locations/{location}/jobs/{job}/taskGroups/{group}/tasks/{task}.`,
      );
    }
    const record = this.findJob(parsed, name);
    const task = parsed.group === TASK_GROUP ? record.tasks[parsed.index] : undefined;
    if (!task) throw notFound(`Task ${name} not found.`);
    return structuredClone(task);
  }

  listTasks(raw: unknown): { tasks: Task[]; nextPageToken: string; unreachable: string[] } {
    const request = parseRequest(ListRequestSchema, raw, 'ListTasksRequest');
    const parsed = parseTaskGroupName(request.parent);
    if (!parsed) {
      throw invalidArgument(
        `parent "${request.parent}" must have the form projects/{project}/locations/{location}/jobs/{job}/taskGroups/{group}.`,
      );
    }
    const record = this.findJob(parsed, request.parent);
    if (parsed.group !== TASK_GROUP) throw notFound(`Task group ${request.parent} not found.`);
    const matches = compileFilter(request.filter, ['name', 'state', 'status.state']);
    const tasks = record.tasks.filter((t) =>
      matches({ name: t.name, state: t.status.state, 'status.state': t.status.state }),
    );
    const { page, nextPageToken } = pageOf(tasks, request.pageSize, request.pageToken);
    return { tasks: page.map((t) => structuredClone(t)), nextPageToken, unreachable: [] };
  }

  /**
   * Moves a job one step along its lifecycle now (for `timings: 'manual'` or to hurry a test).
   * Returns the new state, or undefined when the job is unknown or already finished.
   */
  advance(jobName: string): JobState | undefined {
    const key = parseJobName(jobName);
    const record = key ? this.store.find(key) : undefined;
    if (!record) return undefined;
    const next = nextJobState(record.job.status.state, record.outcome.succeeded);
    if (!next) return undefined;
    this.options.timers.clear(this.stepTimers.get(record.name));
    this.stepTimers.delete(record.name);
    this.transition(record, next);
    this.scheduleNext(record);
    return next;
  }

  /** Resolves when every notification queued so far has been delivered or dropped. */
  notificationsIdle(): Promise<void> {
    return this.delivery?.idle() ?? Promise.resolve();
  }

  notificationStats(): { delivered: number; dropped: number } {
    return this.delivery?.stats() ?? { delivered: 0, dropped: 0 };
  }

  async close(): Promise<void> {
    for (const handle of this.stepTimers.values()) this.options.timers.clear(handle);
    this.stepTimers.clear();
    await this.delivery?.close();
  }

  private requireJob(name: string): JobRecord {
    const key = parseJobName(name);
    if (!key)
      throw invalidArgument(
        `name "${name}" must have the form projects/{project}/locations/{location}/jobs/{job}.`,
      );
    return this.findJob(key, name);
  }

  private findJob(key: JobKey, asked: string): JobRecord {
    const record = this.store.find(key);
    if (!record) throw notFound(`Job ${formatJobName(key)} not found (asked for ${asked}).`);
    return record;
  }

  private transition(record: JobRecord, to: JobState): JobTransition {
    const change = applyTransition(record, to, this.options.now());
    if (this.delivery) {
      const identity = {
        jobNameByNumber: withProject(record.name, this.options.projectNumber(record.key.project)),
        uid: record.job.uid,
        region: record.key.region,
      };
      this.delivery.enqueue(
        messagesFor(record.job.notifications, identity, change, this.options.jobTypeAttribute),
      );
    }
    return change;
  }

  private scheduleNext(record: JobRecord): void {
    const timings = this.options.timings;
    if (timings === 'manual') return;
    const delay = delayFor(record.job.status.state, timings);
    if (delay === undefined) return;
    const handle = this.options.timers.after(delay, () => {
      this.stepTimers.delete(record.name);
      // The job may have been deleted or cancelled while the timer waited.
      if (this.store.find(record.key) !== record) return;
      this.advance(record.name);
    });
    this.stepTimers.set(record.name, handle);
  }
}

function delayFor(state: JobState, timings: LifecycleTimings): number | undefined {
  switch (state) {
    case 'QUEUED':
      return timings.queuedMs;
    case 'SCHEDULED':
      return timings.scheduledMs;
    case 'RUNNING':
      return timings.runningMs;
    default:
      return undefined;
  }
}

function jobFilterFields(record: JobRecord): Record<string, string> {
  const fields: Record<string, string> = {
    name: record.name,
    uid: record.job.uid,
    state: record.job.status.state,
    'status.state': record.job.status.state,
  };
  for (const [k, v] of Object.entries(record.job.labels)) fields[`labels.${k.toLowerCase()}`] = v;
  return fields;
}

/** `order_by`: "", "name", "create_time", either with " desc". Creation order by default. */
function sortJobs(records: JobRecord[], orderBy: string): JobRecord[] {
  const spec = orderBy.trim().toLowerCase();
  if (spec === '') return records;
  const m = /^(name|create_time)(\s+(asc|desc))?$/.exec(spec);
  if (!m)
    throw invalidArgument(
      `order_by "${orderBy}" is not supported; use "name" or "create_time", optionally with " desc".`,
    );
  const sign = m[3] === 'desc' ? -1 : 1;
  const by = m[1] === 'name' ? (r: JobRecord) => r.name : (r: JobRecord) => String(r.seq).padStart(12, '0');
  return [...records].sort((a, b) => sign * (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0));
}
