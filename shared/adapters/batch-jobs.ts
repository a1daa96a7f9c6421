import type { BatchServiceClient, protos } from '@google-cloud/batch';
import { IN_FLIGHT_STATES } from '../core/in-flight.js';
import type { BatchJobPlan } from '../core/job-builder.js';
import type { BatchJobs, JobSnapshot, TaskSummary } from '../core/ports.js';
import { jobSnapshot, taskSummary } from './batch-snapshot.js';
import { classifyGrpcError, grpcCode, GrpcCode, isTransientGrpcError } from './grpc-errors.js';
import { insecureClientOptions, parseEndpoint } from './grpc-endpoint.js';
import { initialized, lazyClient } from './lazy-client.js';
import { realSleep, retryingCall, type RetryPolicy } from './retry.js';

type Job = protos.google.cloud.batch.v1.IJob;
type Task = protos.google.cloud.batch.v1.ITask;

export interface BatchJobsOptions {
  /** host:port of a stand-in (plain text); default: batch.googleapis.com with ADC. */
  endpoint?: string;
  /** Per-call deadline. */
  timeoutMs?: number;
  /** In-process retries of transient failures before giving up to Pub/Sub redelivery. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Up to 100 ms before the 2nd attempt, 200 ms before the 3rd (full jitter). */
const BATCH_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 0,
};

const JOB_CODES = {
  transient: 'BATCH_UNAVAILABLE',
  permanent: 'BATCH_INVALID_ARGUMENT',
  permissionDenied: 'BATCH_PERMISSION_DENIED',
} as const;

/**
 * The Batch API behind the core's `BatchJobs` port: answers are JobSnapshots and TaskSummaries. The client library is imported on first
 * use, not at module load, so functions that never call Batch do not pay for it.
 *
 * @example
 *   const batch = createBatchJobs({ endpoint: '127.0.0.1:7001' });
 *   const { job, created } = await batch.createJob(buildBatchJob(input)); // job: a JobSnapshot
 */
export function createBatchJobs(options: BatchJobsOptions = {}) {
  const timeout = options.timeoutMs ?? 20_000;
  const attempts = Math.max(1, options.attempts ?? 3);
  const retryDeps = { sleep: options.sleep ?? realSleep, random: Math.random };
  const endpoint = options.endpoint ? parseEndpoint(options.endpoint, 'BATCH_API_ENDPOINT') : undefined;
  const getClient = lazyClient(async (): Promise<BatchServiceClient> => {
    const { BatchServiceClient: Client } = await import('@google-cloud/batch');
    const clientOptions = endpoint ? await insecureClientOptions(endpoint) : {};
    return initialized(new Client(clientOptions as ConstructorParameters<typeof Client>[0]));
  });

  const calls: BatchCalls = {
    client: getClient,
    timeout,
    /** Retries transient failures a few times; job id + requestId make createJob safe to repeat. */
    withRetries: (call) =>
      retryingCall({ ...BATCH_RETRY_POLICY, attempts }, retryDeps, isTransientGrpcError, call),
  };
  return {
    /** Warms the client (import + construction) without making a call. */
    warmUp: (): Promise<unknown> => getClient(),
    createJob: (input: BatchJobPlan) => createJob(calls, input),
    getJob: (name: string) => getJob(calls, name),
    listTasks: (jobName: string) => listTasks(calls, jobName),
    countJobsInFlight: (parent: string, label: { key: string; value: string }, atMost: number) =>
      countJobsInFlight(calls, parent, label, atMost),
    close: (): Promise<void> => getClient.close(),
  } satisfies BatchJobs & { warmUp(): Promise<unknown>; close(): Promise<void> };
}

/** What every Batch call is made with: the lazily built client, its timeout and the retry loop. */
interface BatchCalls {
  client: () => Promise<BatchServiceClient>;
  timeout: number;
  withRetries: <T>(call: () => Promise<T>) => Promise<T>;
}

async function getJob(calls: BatchCalls, name: string): Promise<JobSnapshot | undefined> {
  const batch = await calls.client();
  try {
    const [job] = await calls.withRetries(() => batch.getJob({ name }, { timeout: calls.timeout }));
    return jobSnapshot(job);
  } catch (error) {
    if (grpcCode(error) === GrpcCode.NOT_FOUND) return undefined;
    throw classifyGrpcError(error, `Reading Batch job ${name}`, JOB_CODES);
  }
}

async function createJob(
  calls: BatchCalls,
  input: BatchJobPlan,
): Promise<{ job: JobSnapshot; created: boolean }> {
  const batch = await calls.client();
  const name = `${input.parent}/jobs/${input.jobId}`;
  try {
    const [job] = await calls.withRetries(() =>
      batch.createJob(
        { parent: input.parent, jobId: input.jobId, requestId: input.requestId, job: input.job as Job },
        { timeout: calls.timeout },
      ),
    );
    return { job: jobSnapshot(job), created: true };
  } catch (error) {
    if (grpcCode(error) === GrpcCode.ALREADY_EXISTS) {
      // A redelivery, or a retry after a lost answer: the job is there, report it.
      const existing = await getJob(calls, name);
      if (existing) return { job: existing, created: false };
    }
    throw classifyGrpcError(error, `Creating Batch job ${name}`, JOB_CODES);
  }
}

async function listTasks(calls: BatchCalls, jobName: string): Promise<TaskSummary[]> {
  const batch = await calls.client();
  // Pages of 1000 through the async iterator, which fetches every page itself. gax warns
  // (AutopaginateTrueWarning) unless autoPaginate is false, as its defaults say true.
  const all = async (): Promise<Task[]> => {
    const tasks: Task[] = [];
    const pages = batch.listTasksAsync(
      { parent: `${jobName}/taskGroups/group0`, pageSize: 1000 },
      { timeout: calls.timeout, autoPaginate: false },
    );
    for await (const task of pages) tasks.push(task);
    return tasks;
  };
  let tasks: Task[];
  try {
    tasks = await calls.withRetries(all);
  } catch (error) {
    throw classifyGrpcError(error, `Listing tasks of ${jobName}`, JOB_CODES);
  }
  return tasks.map(taskSummary);
}

/**
 * The ListJobs filter for one scope's jobs in flight (AIP-160, as Batch takes it).
 *
 * @example inFlightFilter({ key: 'streamgate-rule', value: 'apps' })
 *   // 'labels.streamgate-rule="apps" AND (status.state="QUEUED" OR status.state="SCHEDULED" OR status.state="RUNNING")'
 */
export function inFlightFilter(label: { key: string; value: string }): string {
  const states = IN_FLIGHT_STATES.map((state) => `status.state="${state}"`).join(' OR ');
  return `labels.${label.key}="${label.value}" AND (${states})`;
}

async function countJobsInFlight(
  calls: BatchCalls,
  parent: string,
  label: { key: string; value: string },
  atMost: number,
): Promise<number> {
  const batch = await calls.client();
  const count = async (): Promise<number> => {
    let seen = 0;
    const jobs = batch.listJobsAsync(
      { parent, filter: inFlightFilter(label), pageSize: Math.min(atMost, 1000) },
      { timeout: calls.timeout, autoPaginate: false },
    );
    // Counting stops at the bound: a full region costs one page, not a listing of every job.
    for await (const _job of jobs) {
      seen += 1;
      if (seen >= atMost) break;
    }
    return seen;
  };
  try {
    return await calls.withRetries(count);
  } catch (error) {
    throw classifyGrpcError(error, `Counting jobs in flight in ${parent}`, JOB_CODES);
  }
}
