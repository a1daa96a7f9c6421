import { batchJobName, JOB_ID_PATTERN } from '../core/ids.js';
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

/**
 * The state of a streamgate job, looked up by id in the given region or in each allowed region.
 * Jobs that streamgate did not create are reported as not found.
 */
export async function describeJob(
  jobId: string,
  regions: readonly string[],
  deps: Pick<PipelineDeps, 'batch' | 'config'>,
): Promise<JobStatus | undefined> {
  if (!JOB_ID_PATTERN.test(jobId)) return undefined;
  for (const region of regions) {
    // One region at a time: a later region's outage does not hide a job an earlier one holds.
    const job = await deps.batch.getJob(batchJobName(deps.config.project, region, jobId));
    if (!job) continue;
    const labels = readStreamgateLabels(job.labels);
    if (!labels.managed) return undefined;
    return {
      jobName: job.name ?? jobId,
      jobUid: job.uid ?? '',
      region,
      state: job.state,
      streaming: Boolean(job.streaming),
      image: job.image,
      ...(labels.correlation ? { correlationId: labels.correlation } : {}),
      ...(labels.source ? { source: labels.source } : {}),
      ...(job.createTime ? { createTime: job.createTime } : {}),
      ...(job.updateTime ? { updateTime: job.updateTime } : {}),
    };
  }
  return undefined;
}
