import { formatTaskName, TASK_GROUP } from './names.js';
import type { JobRecord } from './store.js';
import { isTerminal, toDuration, toTimestamp } from './wire.js';
import type { JobState, StatusEvent, Task, TaskState } from './wire.js';

/** One task's state change, for task-level notifications. */
interface TaskChange {
  index: number;
  previous: TaskState;
  current: TaskState;
}

/** One job state change and the task changes it carried. */
export interface JobTransition {
  previous: JobState;
  current: JobState;
  at: number;
  taskChanges: TaskChange[];
}

/**
 * The state after `state` on the normal path: QUEUED → SCHEDULED → RUNNING → SUCCEEDED | FAILED,
 * and CANCELLATION_IN_PROGRESS → CANCELLED. Undefined when there is nothing after it.
 */
export function nextJobState(state: JobState, succeeded: boolean): JobState | undefined {
  switch (state) {
    case 'QUEUED':
      return 'SCHEDULED';
    case 'SCHEDULED':
      return 'RUNNING';
    case 'RUNNING':
      return succeeded ? 'SUCCEEDED' : 'FAILED';
    case 'CANCELLATION_IN_PROGRESS':
      return 'CANCELLED';
    default:
      return undefined;
  }
}

/** Where the stand-in pretends a task ran (real events name the VM). */
function instanceOf(record: JobRecord, index: number): string {
  return `zones/${record.key.region}-a/instances/${record.key.jobId.slice(0, 20)}-${TASK_GROUP}-${index}`;
}

/** Fresh tasks for a new job, all PENDING. */
export function newTasks(jobName: string, count: number): Task[] {
  return Array.from({ length: count }, (_, index) => ({
    name: formatTaskName(jobName, index),
    status: { state: 'PENDING' as TaskState, statusEvents: [] },
  }));
}

function moveTask(record: JobRecord, index: number, to: TaskState, at: number, changes: TaskChange[]): void {
  const task = record.tasks[index]!;
  const from = task.status.state;
  if (from === to) return;
  const terminal = to === 'SUCCEEDED' || to === 'FAILED';
  const exitCode = terminal ? record.outcome.exitCode : undefined;
  const event: StatusEvent = {
    type: 'STATUS_CHANGED',
    description:
      `Task state is updated from ${from} to ${to} on ${instanceOf(record, index)}` +
      (exitCode === undefined ? '.' : ` with exit code ${exitCode}.`),
    eventTime: toTimestamp(at),
    taskExecution: exitCode === undefined ? null : { exitCode },
    taskState: to,
  };
  task.status.state = to;
  task.status.statusEvents.push(event);
  changes.push({ index, previous: from, current: to });
}

/** Task moves a job state implies; all tasks move together (parallelism is not modelled). */
function taskTargets(state: JobState, succeeded: boolean): TaskState[] {
  switch (state) {
    case 'RUNNING':
      return ['ASSIGNED', 'RUNNING'];
    case 'SUCCEEDED':
    case 'FAILED':
      return [succeeded ? 'SUCCEEDED' : 'FAILED'];
    case 'CANCELLED':
      return ['UNEXECUTED'];
    default:
      return [];
  }
}

function countTasks(tasks: readonly Task[]): Record<string, string> {
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.status.state] = (counts[t.status.state] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)]));
}

function jobEvent(record: JobRecord, from: JobState, to: JobState, at: number): StatusEvent {
  const failed = to === 'FAILED';
  const base = `Job state is set from ${from} to ${to} for job ${record.name}`;
  const description = failed
    ? `${base} with final error: Task state is updated from RUNNING to FAILED on ${instanceOf(record, 0)} with exit code ${record.outcome.exitCode}.`
    : `${base}.`;
  return {
    type: 'STATUS_CHANGED',
    description,
    eventTime: toTimestamp(at),
    taskExecution: failed ? { exitCode: record.outcome.exitCode } : null,
    taskState: 'STATE_UNSPECIFIED',
  };
}

/**
 * Moves a job to `to` at clock time `at`: job status, status events, task states and events,
 * task counts, run duration and update time. Returns what changed, for notifications.
 */
export function applyTransition(record: JobRecord, to: JobState, at: number): JobTransition {
  const status = record.job.status;
  const from = status.state;
  const changes: TaskChange[] = [];
  // A job's first state is not an event in Batch's history; later ones are.
  if (from !== 'STATE_UNSPECIFIED') status.statusEvents.push(jobEvent(record, from, to, at));
  status.state = to;
  const succeeded = record.outcome.succeeded;
  for (const target of taskTargets(to, succeeded)) {
    record.tasks.forEach((task, index) => {
      const done = task.status.state === 'SUCCEEDED' || task.status.state === 'FAILED';
      if (!done) moveTask(record, index, target, at, changes);
    });
  }
  if (to === 'RUNNING') record.runningSince = at;
  if (isTerminal(to) && record.runningSince !== undefined)
    status.runDuration = toDuration(at - record.runningSince);
  status.taskGroups = { [TASK_GROUP]: { counts: countTasks(record.tasks), instances: [] } };
  record.job.updateTime = toTimestamp(at);
  return { previous: from, current: to, at, taskChanges: changes };
}
