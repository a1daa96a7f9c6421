import { readStreamgateLabels } from '../core/labels.js';
import type { PipelineDeps } from './deps.js';

export interface JobStatus {
  jobName: string;
  jobUid: string;
  region: string;
  state: string;
  streaming: boolean;
  image: string;
  correlationId?: string;
  source?: string;
  createTime?: string;
  updateTime?: string;
}

const JOB_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The state of a streamgate job, looked up by id in the given region or in each allowed region.
 * Jobs that streamgate did not create are reported as not found.
 */
export async function describeJob(
  jobId: string,
  regions: readonly string[],
  deps: Pick<PipelineDeps, 'batch' | 'config'>,
): Promise<JobStatus | undefined> {
  if (!JOB_ID.test(jobId)) return undefined;
  for (const region of regions) {
    const job = await deps.batch.getJob(`projects/${deps.config.project}/locations/${region}/jobs/${jobId}`);
    if (!job) continue;
    const labels = readStreamgateLabels(job.labels ?? undefined);
    if (!labels.managed) return undefined;
    const container = job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container;
    return {
      jobName: job.name ?? jobId,
      jobUid: job.uid ?? '',
      region,
      state: String(job.status?.state ?? 'STATE_UNSPECIFIED'),
      streaming: Boolean(container?.enableImageStreaming),
      image: container?.imageUri ?? '',
      ...(labels.correlation ? { correlationId: labels.correlation } : {}),
      ...(labels.source ? { source: labels.source } : {}),
      ...(timestamp(job.createTime) ? { createTime: timestamp(job.createTime) } : {}),
      ...(timestamp(job.updateTime) ? { updateTime: timestamp(job.updateTime) } : {}),
    };
  }
  return undefined;
}

function timestamp(value: { seconds?: unknown; nanos?: unknown } | null | undefined): string | undefined {
  if (!value || value.seconds === undefined || value.seconds === null) return undefined;
  const ms = Number(value.seconds) * 1000 + Math.floor(Number(value.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
