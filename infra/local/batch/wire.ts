/*
 * Output shapes the stand-in sends, in the proto-loader object form (see PROTO_LOADER_OPTIONS in ../proto-services.ts).
 */

export type JobState =
  | 'STATE_UNSPECIFIED'
  | 'QUEUED'
  | 'SCHEDULED'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'DELETION_IN_PROGRESS'
  | 'CANCELLATION_IN_PROGRESS'
  | 'CANCELLED';

export type TaskState =
  'STATE_UNSPECIFIED' | 'PENDING' | 'ASSIGNED' | 'RUNNING' | 'FAILED' | 'SUCCEEDED' | 'UNEXECUTED';

/** google.protobuf.Timestamp / Duration on the wire: int64 seconds (a string here) + nanos. */
export interface Timestamp {
  seconds: string;
  nanos: number;
}
export type Duration = Timestamp;

export interface StatusEvent {
  type: string;
  description: string;
  eventTime: Timestamp;
  taskExecution: { exitCode: number } | null;
  taskState: TaskState;
}

interface TaskGroupStatus {
  counts: Record<string, string>;
  instances: unknown[];
}

export interface JobStatus {
  state: JobState;
  statusEvents: StatusEvent[];
  taskGroups: Record<string, TaskGroupStatus>;
  runDuration: Duration | null;
}

export interface Task {
  name: string;
  status: { state: TaskState; statusEvents: StatusEvent[] };
}

/** Milliseconds since the epoch → Timestamp. */
export function toTimestamp(ms: number): Timestamp {
  const whole = Math.floor(ms);
  return { seconds: String(Math.floor(whole / 1000)), nanos: (((whole % 1000) + 1000) % 1000) * 1_000_000 };
}

/** Milliseconds → Duration (non-negative). */
export const toDuration = (ms: number): Duration => toTimestamp(Math.max(0, ms));

const TERMINAL_JOB_STATES: readonly JobState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const isTerminal = (state: JobState): boolean => TERMINAL_JOB_STATES.includes(state);
