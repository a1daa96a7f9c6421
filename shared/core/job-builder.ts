import type { StreamgateConfig } from './config.js';
import { topicPath } from './config.js';
import type { EligibilityReport } from './eligibility.js';
import { requestFingerprint } from './fingerprint.js';
import { jobIdFor, requestIdFor } from './ids.js';
import { streamgateLabels } from './labels.js';
import type { LaunchRequest } from './request.js';

/**
 * Builds the `CreateJobRequest` for Batch as the protobuf-JSON (camelCase) object the Node
 * `BatchServiceClient.createJob` accepts. Pure and deterministic: same input, deep-equal output.
 */

/** Batch's Runnable.Container; `options`/`blockExternalNetwork` only appear without streaming. */
interface BatchContainer {
  imageUri: string;
  commands: string[];
  entrypoint?: string;
  volumes: string[];
  enableImageStreaming: boolean;
  options?: string;
  blockExternalNetwork?: boolean;
}

/** The subset of google.cloud.batch.v1.Job that streamgate sets. */
interface BatchJob {
  taskGroups: Array<{
    taskCount: number;
    parallelism: number;
    taskSpec: {
      runnables: Array<{ container: BatchContainer }>;
      computeResource: { cpuMilli: number; memoryMib: number };
      // google.protobuf.Duration: protobufjs fromObject reads {seconds}; a "3600s" string would be dropped.
      maxRunDuration: { seconds: number };
      maxRetryCount: number;
      environment: { variables: Record<string, string> };
    };
  }>;
  allocationPolicy: {
    location: { allowedLocations: string[] };
    instances: Array<{ policy: { machineType?: string; provisioningModel: string } }>;
    serviceAccount: { email: string };
  };
  logsPolicy: { destination: 'CLOUD_LOGGING' };
  labels: Record<string, string>;
  notifications: Array<{ pubsubTopic: string; message: { type: 'JOB_STATE_CHANGED' } }>;
}

export interface BatchJobPlan {
  /** `projects/P/locations/<jobRegion>` */
  parent: string;
  jobId: string;
  /** UUID derived from the job id (so from source + key): Batch dedupes repeated creates on it. */
  requestId: string;
  job: BatchJob;
}

export interface BuildBatchJobInput {
  request: LaunchRequest;
  /** What the job runs; for pushes pinned to `…@sha256:<digest>`. */
  imageUri: string;
  jobRegion: string;
  /** Whether to set `enableImageStreaming` (the eligibility + mode decision, made by the caller). */
  streaming: boolean;
  /** The judgement behind it, recorded in labels so a repeat can report it from Batch. */
  eligibility: Pick<EligibilityReport, 'verdict' | 'reasons' | 'warnings'>;
  config: Pick<StreamgateConfig, 'project' | 'jobServiceAccount' | 'topics'>;
}

/**
 * @example
 *   const { parent, jobId, requestId, job } = buildBatchJob({ request, imageUri, jobRegion: 'us-central1', streaming: true, eligibility: report, config });
 *   await client.createJob({ parent, jobId, requestId, job });
 */
export function buildBatchJob(input: BuildBatchJobInput): BatchJobPlan {
  const { request, imageUri, jobRegion, streaming, eligibility, config } = input;
  const jobId = jobIdFor(request.source, request.idempotencyKey);
  const policy: { machineType?: string; provisioningModel: string } = {
    provisioningModel: request.provisioningModel,
  };
  if (request.machineType !== undefined) policy.machineType = request.machineType;
  return {
    parent: `projects/${config.project}/locations/${jobRegion}`,
    jobId,
    requestId: requestIdFor(jobId),
    job: {
      taskGroups: [
        {
          taskCount: request.taskCount,
          parallelism: request.parallelism,
          taskSpec: {
            runnables: [{ container: buildContainer(request, imageUri, streaming) }],
            computeResource: { cpuMilli: request.cpuMilli, memoryMib: request.memoryMib },
            maxRunDuration: { seconds: request.maxRunDurationSeconds },
            maxRetryCount: request.maxRetryCount,
            environment: { variables: sortedRecord(request.environment) },
          },
        },
      ],
      allocationPolicy: {
        location: { allowedLocations: [`regions/${jobRegion}`] },
        instances: [{ policy }],
        serviceAccount: { email: config.jobServiceAccount },
      },
      logsPolicy: { destination: 'CLOUD_LOGGING' },
      labels: sortedRecord({
        ...request.labels,
        ...streamgateLabels({
          idempotencyKey: request.idempotencyKey,
          source: request.source,
          correlationId: request.correlationId,
          streaming,
          fingerprint: requestFingerprint(request),
          mode: request.streaming,
          verdict: eligibility.verdict,
          reasons: eligibility.reasons.map((r) => r.code),
          warnings: eligibility.warnings.map((w) => w.code),
          ...(request.rule === undefined ? {} : { rule: request.rule }),
        }),
      }),
      notifications: [
        {
          pubsubTopic: topicPath(config.project, config.topics.notifications),
          message: { type: 'JOB_STATE_CHANGED' },
        },
      ],
    },
  };
}

function buildContainer(request: LaunchRequest, imageUri: string, streaming: boolean): BatchContainer {
  const { commands, entrypoint, volumes, options, blockExternalNetwork } = request.container;
  const container: BatchContainer = {
    imageUri,
    commands: [...commands],
    volumes: [...volumes],
    enableImageStreaming: streaming,
  };
  if (entrypoint !== undefined) container.entrypoint = entrypoint;
  // Batch ignores these silently when streaming; leaving them out keeps the job honest about it.
  if (!streaming && options !== undefined) container.options = options;
  if (!streaming && blockExternalNetwork !== undefined) container.blockExternalNetwork = blockExternalNetwork;
  return container;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
