/**
 * Batch's protobuf answers turned into the core's JobSnapshot and TaskSummary: the one place that
 * knows where Batch keeps a job's image (its first task group's first runnable) and how its
 * durations and timestamps are encoded.
 */
import type { protos } from '@google-cloud/batch';
import type { JobSnapshot, TaskSummary } from '../core/ports.js';

type Job = protos.google.cloud.batch.v1.IJob;
type Task = protos.google.cloud.batch.v1.ITask;
/** google.protobuf.Duration or Timestamp as the Node client returns them (seconds may be a Long or a string). */
type Seconds = { seconds?: unknown; nanos?: unknown } | null | undefined;

/**
 * The job as the pipeline reads it.
 *
 * @example jobSnapshot(job).image // 'us-docker.pkg.dev/p/r/app@sha256:…'
 */
export function jobSnapshot(job: Job): JobSnapshot {
  const group = job.taskGroups?.[0];
  const container = group?.taskSpec?.runnables?.[0]?.container;
  const streaming = container?.enableImageStreaming;
  const taskCount = group?.taskCount == null ? undefined : Number(group.taskCount);
  const runDurationSeconds = durationSeconds(job.status?.runDuration);
  const createTime = isoTime(job.createTime);
  const updateTime = isoTime(job.updateTime);
  return {
    ...(job.name != null ? { name: job.name } : {}),
    ...(job.uid != null ? { uid: job.uid } : {}),
    state: String(job.status?.state ?? 'STATE_UNSPECIFIED'),
    image: String(container?.imageUri ?? ''),
    ...(streaming != null ? { streaming: Boolean(streaming) } : {}),
    labels: { ...(job.labels ?? {}) },
    ...(taskCount !== undefined && Number.isFinite(taskCount) ? { taskCount } : {}),
    ...(runDurationSeconds !== undefined ? { runDurationSeconds } : {}),
    ...(createTime ? { createTime } : {}),
    ...(updateTime ? { updateTime } : {}),
  };
}

/**
 * A task's name, state and last exit code.
 *
 * @example taskSummary(task) // { name: '…/tasks/0', state: 'FAILED', exitCode: 3 }
 */
export function taskSummary(task: Task): TaskSummary {
  let exitCode: number | null = null;
  for (const event of task.status?.statusEvents ?? []) {
    const code = event.taskExecution?.exitCode;
    if (code !== undefined && code !== null) exitCode = Number(code);
  }
  return {
    name: String(task.name ?? 'unknown'),
    state: String(task.status?.state ?? 'STATE_UNSPECIFIED'),
    exitCode,
  };
}

function durationSeconds(duration: Seconds): number | undefined {
  if (!duration) return undefined;
  const s = Number(duration.seconds ?? 0);
  const n = Number(duration.nanos ?? 0);
  return Number.isFinite(s) && Number.isFinite(n) ? s + n / 1e9 : undefined;
}

function isoTime(value: Seconds): string | undefined {
  if (!value || value.seconds === undefined || value.seconds === null) return undefined;
  const ms = Number(value.seconds) * 1000 + Math.floor(Number(value.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
