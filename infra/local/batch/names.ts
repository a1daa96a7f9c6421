import { randomBytes } from 'node:crypto';

/** `CreateJobRequest.job_id` syntax (batch.proto): lowercase, digits and '-', ≤ 63, letter first. */
export const JOB_ID_PATTERN = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The only task group name Batch uses today. */
export const TASK_GROUP = 'group0';

export interface JobKey {
  /** Project id or number, exactly as the caller wrote it. */
  project: string;
  region: string;
  jobId: string;
}

const SEGMENT = '([^/]+)';
const PARENT = new RegExp(`^projects/${SEGMENT}/locations/${SEGMENT}$`);
const JOB = new RegExp(`^projects/${SEGMENT}/locations/${SEGMENT}/jobs/${SEGMENT}$`);
const TASK_GROUP_NAME = new RegExp(
  `^projects/${SEGMENT}/locations/${SEGMENT}/jobs/${SEGMENT}/taskGroups/${SEGMENT}$`,
);
const TASK = new RegExp(
  `^projects/${SEGMENT}/locations/${SEGMENT}/jobs/${SEGMENT}/taskGroups/${SEGMENT}/tasks/(\\d+)$`,
);

/** `projects/P/locations/L` → `{project, location}`, or undefined when malformed. */
export function parseParent(parent: string): { project: string; location: string } | undefined {
  const m = PARENT.exec(parent);
  return m ? { project: m[1]!, location: m[2]! } : undefined;
}

/** `projects/P/locations/R/jobs/J` → key, or undefined. */
export function parseJobName(name: string): JobKey | undefined {
  const m = JOB.exec(name);
  return m ? { project: m[1]!, region: m[2]!, jobId: m[3]! } : undefined;
}

/** `…/jobs/J/taskGroups/G` → key and group, or undefined. */
export function parseTaskGroupName(name: string): (JobKey & { group: string }) | undefined {
  const m = TASK_GROUP_NAME.exec(name);
  return m ? { project: m[1]!, region: m[2]!, jobId: m[3]!, group: m[4]! } : undefined;
}

/** `…/jobs/J/taskGroups/G/tasks/N` → key, group and index, or undefined. */
export function parseTaskName(name: string): (JobKey & { group: string; index: number }) | undefined {
  const m = TASK.exec(name);
  return m ? { project: m[1]!, region: m[2]!, jobId: m[3]!, group: m[4]!, index: Number(m[5]) } : undefined;
}

export const formatJobName = (k: JobKey): string =>
  `projects/${k.project}/locations/${k.region}/jobs/${k.jobId}`;

export const formatTaskName = (jobName: string, index: number): string =>
  `${jobName}/taskGroups/${TASK_GROUP}/tasks/${index}`;

/** Replaces the project segment of a Batch resource name (id ↔ number). */
export const withProject = (name: string, project: string): string =>
  name.replace(/^projects\/[^/]+\//, `projects/${project}/`);

const hex = (bytes: number, length: number): string => randomBytes(bytes).toString('hex').slice(0, length);

/**
 * A uid shaped like the ones Batch hands out, e.g. `job-dragen-ae0e459-1866e3ae-c20b-4ce50`
 * for job `job-dragen-ae0e459505` (docs/platform-facts.md): an id prefix, then random hex groups.
 */
export function makeJobUid(jobId: string): string {
  const prefix = jobId.slice(0, 18).replace(/-+$/, '');
  return `${prefix}-${hex(4, 8)}-${hex(2, 4)}-${hex(2, 4)}-${hex(3, 5)}`;
}

/** A job id for requests that leave `job_id` empty (the real service generates one too). */
export const generateJobId = (): string => `job-${hex(8, 16)}`;
