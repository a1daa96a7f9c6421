import { BATCH_STANDIN_REGIONS } from './regions.js';
import { JOB_ID_PATTERN, parseParent } from './names.js';
import type { CreateJobRequest, JobInput } from './requests.js';
import { invalidArgument } from './rpc-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const TOPIC = /^projects\/[^/]+\/topics\/[^/]+$/;
const RESERVED_LABEL_PREFIXES = ['goog-', 'google-'];
/** Batch's documented ceiling for tasks in one group. */
const MAX_TASK_COUNT = 100_000;

export interface ValidCreateJob {
  project: string;
  region: string;
  /** Empty when the request lets the service choose an id. */
  jobId: string;
  requestId: string;
  job: JobInput;
  taskCount: number;
}

/**
 * Checks a CreateJobRequest the way the real service does, throwing INVALID_ARGUMENT with a
 * message that names the field and the rule.
 *
 * @example
 *   validateCreateJob({ parent: 'projects/p/locations/mars', jobId: 'a', requestId: '', job })
 *   // throws: parent location "mars" is not a region where Batch runs jobs …
 */
export function validateCreateJob(request: CreateJobRequest): ValidCreateJob {
  const parent = parseParent(request.parent);
  if (!parent) {
    throw invalidArgument(
      `parent "${request.parent}" must have the form projects/{project}/locations/{location}.`,
    );
  }
  if (!BATCH_STANDIN_REGIONS.includes(parent.location)) {
    throw invalidArgument(
      `parent location "${parent.location}" is not a region where Batch runs jobs; use one of the Batch regions, e.g. us-central1.`,
    );
  }
  if (request.jobId !== '' && !JOB_ID_PATTERN.test(request.jobId)) {
    throw invalidArgument(
      `job_id "${request.jobId}" is invalid: it must be at most 63 characters, start with a lowercase letter, contain only lowercase letters, digits and '-', and not end with '-'.`,
    );
  }
  if (request.requestId !== '' && (!UUID.test(request.requestId) || request.requestId === ZERO_UUID)) {
    throw invalidArgument(`request_id "${request.requestId}" must be a valid UUID other than the zero UUID.`);
  }
  const job = request.job;
  if (!job) throw invalidArgument('job is required.');
  const taskCount = validateTaskGroups(job);
  validateAllowedLocations(job, parent.location);
  validateLabels(job.labels);
  validateNotifications(job);
  return {
    project: parent.project,
    region: parent.location,
    jobId: request.jobId,
    requestId: request.requestId,
    job,
    taskCount,
  };
}

function validateTaskGroups(job: JobInput): number {
  if (job.taskGroups.length !== 1) {
    throw invalidArgument(`job.task_groups must hold exactly one task group (got ${job.taskGroups.length}).`);
  }
  const group = job.taskGroups[0]!;
  if (!group.taskSpec) throw invalidArgument('job.task_groups[0].task_spec is required.');
  const runnables = group.taskSpec.runnables;
  if (runnables.length === 0)
    throw invalidArgument('job.task_groups[0].task_spec.runnables must hold at least one runnable.');
  runnables.forEach((r, i) => {
    if (!r.container && !r.script && !r.barrier) {
      throw invalidArgument(
        `job.task_groups[0].task_spec.runnables[${i}] must set one of container, script or barrier.`,
      );
    }
    if (r.container && r.container.imageUri === '') {
      throw invalidArgument(`job.task_groups[0].task_spec.runnables[${i}].container.image_uri is required.`);
    }
  });
  // task_count 0 means "unset", which Batch treats as 1.
  const taskCount = group.taskCount === 0 ? 1 : group.taskCount;
  if (!Number.isInteger(taskCount) || taskCount < 1 || taskCount > MAX_TASK_COUNT) {
    throw invalidArgument(
      `job.task_groups[0].task_count must be between 1 and ${MAX_TASK_COUNT} (got ${group.taskCount}).`,
    );
  }
  if (group.parallelism < 0) throw invalidArgument('job.task_groups[0].parallelism must not be negative.');
  return taskCount;
}

/** Since 2026-07-31, allowed locations must lie inside the region the job is created in. */
function validateAllowedLocations(job: JobInput, region: string): void {
  const allowed = job.allocationPolicy?.location?.allowedLocations ?? [];
  for (const location of allowed) {
    const inRegion =
      location === `regions/${region}` ||
      (location.startsWith(`zones/${region}-`) && /^zones\/[a-z0-9-]+-[a-z]$/.test(location));
    if (!inRegion) {
      throw invalidArgument(
        `allocation_policy.location.allowed_locations entry "${location}" is not in the job's region ${region}; use "regions/${region}" or zones such as "zones/${region}-a".`,
      );
    }
  }
}

function validateLabels(labels: Record<string, string>): void {
  for (const key of Object.keys(labels)) {
    if (RESERVED_LABEL_PREFIXES.some((p) => key.startsWith(p))) {
      throw invalidArgument(
        `job.labels key "${key}" is reserved: keys starting with "goog-" or "google-" belong to Google.`,
      );
    }
  }
}

function validateNotifications(job: JobInput): void {
  job.notifications.forEach((n, i) => {
    if (!TOPIC.test(n.pubsubTopic)) {
      throw invalidArgument(
        `job.notifications[${i}].pubsub_topic "${n.pubsubTopic}" must have the form projects/{project}/topics/{topic}.`,
      );
    }
  });
}
