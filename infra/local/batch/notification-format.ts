import type { JobTransition } from './lifecycle.js';
import type { NotificationInput } from './requests.js';
import type { JobState, TaskState } from './wire.js';

/** A Pub/Sub message as Batch publishes it: a plain-text body and string attributes. */
export interface NotificationMessage {
  data: Buffer;
  attributes: Record<string, string>;
}

/** RFC 3339 with whole seconds, as in Batch's messages (here always in UTC, `Z`). */
export function rfc3339Seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface JobMessageInput {
  /** The job name with the project NUMBER, as Batch writes it. */
  jobName: string;
  jobUid: string;
  region: string;
  previous: JobState;
  current: JobState;
  at: number;
  /** Batch's job-level sample has no `Type`; set true to add `Type: JOB_STATE_CHANGED`. */
  includeType: boolean;
}

/**
 * The job-state message in Batch's observed format (docs/platform-facts.md).
 *
 * @example
 *   jobStateMessage({ jobName: 'projects/123/locations/us-central1/jobs/j', jobUid: 'j-1a2b…', region: 'us-central1',
 *     previous: 'RUNNING', current: 'SUCCEEDED', at: Date.UTC(2026, 0, 1), includeType: false })
 *   // data: 'Job state was updated: jobName=projects/123/…/jobs/j, jobUID=j-1a2b…, previousState=RUNNING,
 *   //        currentState=SUCCEEDED, timestamp=2026-01-01T00:00:00Z'
 */
export function jobStateMessage(input: JobMessageInput): NotificationMessage {
  const text =
    `Job state was updated: jobName=${input.jobName}, jobUID=${input.jobUid}, ` +
    `previousState=${input.previous}, currentState=${input.current}, timestamp=${rfc3339Seconds(input.at)}`;
  return {
    data: Buffer.from(text, 'utf8'),
    attributes: {
      JobName: input.jobName,
      JobUID: input.jobUid,
      NewJobState: input.current,
      Region: input.region,
      ...(input.includeType ? { Type: 'JOB_STATE_CHANGED' } : {}),
    },
  };
}

interface TaskMessageInput {
  /** The task name with the project NUMBER. */
  taskName: string;
  jobUid: string;
  index: number;
  region: string;
  previous: TaskState;
  current: TaskState;
  at: number;
}

/** The task-state message in Batch's observed format (docs/platform-facts.md). */
function taskStateMessage(input: TaskMessageInput): NotificationMessage {
  const taskUid = `${input.jobUid}-group0-${input.index}`;
  const text =
    `Task state was updated: taskUID=${taskUid}, previousState=${input.previous}, ` +
    `currentState=${input.current}, timestamp=${rfc3339Seconds(input.at)}`;
  return {
    data: Buffer.from(text, 'utf8'),
    attributes: {
      JobUID: input.jobUid,
      NewTaskState: input.current,
      TaskName: input.taskName,
      TaskUID: taskUid,
      Region: input.region,
      Type: 'TASK_STATE_CHANGED',
    },
  };
}

export interface OutgoingNotification {
  topic: string;
  message: NotificationMessage;
}

export interface JobIdentity {
  /** Job name with the project number. */
  jobNameByNumber: string;
  uid: string;
  region: string;
}

/**
 * The messages one transition causes, per the job's `notifications`: a JOB_STATE_CHANGED entry
 * fires on every job state change (or only on `newJobState` when set), a TASK_STATE_CHANGED entry
 * on every task change (or only on `newTaskState`). Entries without a message send nothing.
 */
export function messagesFor(
  notifications: readonly NotificationInput[],
  job: JobIdentity,
  transition: JobTransition,
  includeType: boolean,
): OutgoingNotification[] {
  const out: OutgoingNotification[] = [];
  for (const n of notifications) {
    const m = n.message;
    if (!m) continue;
    if (m.type === 'JOB_STATE_CHANGED') {
      if (m.newJobState !== 'STATE_UNSPECIFIED' && m.newJobState !== transition.current) continue;
      out.push({
        topic: n.pubsubTopic,
        message: jobStateMessage({
          jobName: job.jobNameByNumber,
          jobUid: job.uid,
          region: job.region,
          previous: transition.previous,
          current: transition.current,
          at: transition.at,
          includeType,
        }),
      });
    } else if (m.type === 'TASK_STATE_CHANGED') {
      for (const change of transition.taskChanges) {
        if (m.newTaskState !== 'STATE_UNSPECIFIED' && m.newTaskState !== change.current) continue;
        out.push({
          topic: n.pubsubTopic,
          message: taskStateMessage({
            taskName: `${job.jobNameByNumber}/taskGroups/group0/tasks/${change.index}`,
            jobUid: job.uid,
            index: change.index,
            region: job.region,
            previous: change.previous,
            current: change.current,
            at: transition.at,
          }),
        });
      }
    }
  }
  return out;
}
