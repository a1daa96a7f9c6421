import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/core/config.js';
import { JOB_ID_PATTERN, jobIdFor, requestIdFor } from '../../../shared/core/ids.js';
import { buildBatchJob, type BuildBatchJobInput } from '../../../shared/core/job-builder.js';
import { keyHash, LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from '../../../shared/core/labels.js';
import { requestFingerprint } from '../../../shared/core/fingerprint.js';
import { parseJobRequest, toLaunchRequest } from '../../../shared/core/request.js';

const require = createRequire(import.meta.url);
const BATCH_PROTOS = join(dirname(require.resolve('@google-cloud/batch')), '..', 'protos');
const GAX_PROTOS = join(dirname(require.resolve('google-gax')), '..', 'protos');

// The same serializer the Batch client's gRPC stub uses: proto-loader's Type.fromObject + encode.
const definition = protoLoader.loadSync('google/cloud/batch/v1/batch.proto', {
  includeDirs: [BATCH_PROTOS, GAX_PROTOS],
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: false,
});
const createJob = (definition['google.cloud.batch.v1.BatchService'] as protoLoader.ServiceDefinition)
  .CreateJob!;

function throughTheWire(request: object): unknown {
  return createJob.requestDeserialize(createJob.requestSerialize(request));
}

const config = parseConfig({
  project: 'demo-project',
  topics: { events: 'streamgate-events', notifications: 'batch-notes' },
  jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
});
const IMAGE = `us-central1-docker.pkg.dev/demo-project/apps/web@sha256:${'c'.repeat(64)}`;

const ELIGIBLE: BuildBatchJobInput['eligibility'] = { verdict: 'eligible', reasons: [], warnings: [] };
const LOCATION_MISMATCH: BuildBatchJobInput['eligibility'] = {
  verdict: 'ineligible',
  reasons: [{ code: 'LOCATION_MISMATCH', message: 'elsewhere' }],
  warnings: [{ code: 'ZSTD_LAYERS', message: 'zstd' }],
};

function input(fields: Record<string, unknown> = {}, streaming = true): BuildBatchJobInput {
  const request = toLaunchRequest(parseJobRequest({ apiVersion: 'streamgate/v1', image: IMAGE, ...fields }), {
    source: 'webhook',
    idempotencyKey: 'Build #42 / main',
    correlationId: 'CI-Run:7',
  });
  const eligibility = streaming ? ELIGIBLE : LOCATION_MISMATCH;
  return { request, imageUri: IMAGE, jobRegion: 'us-central1', streaming, eligibility, config };
}

const FULL = {
  container: {
    commands: ['-c', 'echo hi'],
    entrypoint: '/bin/sh',
    volumes: ['/mnt/a:/a:ro'],
    options: '--privileged',
    blockExternalNetwork: true,
  },
  environment: { ZED: '1', ALPHA: 'two' },
  taskCount: 4,
  parallelism: 2,
  machineType: 'e2-standard-4',
  provisioningModel: 'SPOT',
  cpuMilli: 1500,
  memoryMib: 4096,
  maxRunDuration: '900s',
  maxRetryCount: 3,
  labels: { team: 'platform' },
};

describe('buildBatchJob', () => {
  it('creates the job in the job region with allowedLocations inside it', () => {
    const plan = buildBatchJob(input());
    expect(plan.parent).toBe('projects/demo-project/locations/us-central1');
    expect(plan.job.allocationPolicy.location.allowedLocations).toEqual(['regions/us-central1']);
    expect(plan.jobId).toBe(jobIdFor('webhook', 'Build #42 / main'));
    expect(plan.jobId).toMatch(JOB_ID_PATTERN);
    // The request id derives from the job id, so one always implies the other.
    expect(plan.requestId).toBe(requestIdFor(plan.jobId));
  });

  it('maps every request field onto the Batch job', () => {
    const { job } = buildBatchJob(input(FULL));
    const group = job.taskGroups[0]!;
    expect(group.taskCount).toBe(4);
    expect(group.parallelism).toBe(2);
    expect(group.taskSpec.computeResource).toEqual({ cpuMilli: 1500, memoryMib: 4096 });
    expect(group.taskSpec.maxRunDuration).toEqual({ seconds: 900 });
    expect(group.taskSpec.maxRetryCount).toBe(3);
    expect(group.taskSpec.environment.variables).toEqual({ ALPHA: 'two', ZED: '1' });
    expect(group.taskSpec.runnables[0]?.container).toEqual({
      imageUri: IMAGE,
      commands: ['-c', 'echo hi'],
      entrypoint: '/bin/sh',
      volumes: ['/mnt/a:/a:ro'],
      enableImageStreaming: true,
    });
    expect(job.allocationPolicy.instances[0]?.policy).toEqual({
      machineType: 'e2-standard-4',
      provisioningModel: 'SPOT',
    });
    expect(job.allocationPolicy.serviceAccount).toEqual({
      email: 'jobs@demo-project.iam.gserviceaccount.com',
    });
    expect(job.logsPolicy).toEqual({ destination: 'CLOUD_LOGGING' });
    expect(job.notifications).toEqual([
      { pubsubTopic: 'projects/demo-project/topics/batch-notes', message: { type: 'JOB_STATE_CHANGED' } },
    ]);
  });

  it('keeps options and blockExternalNetwork only when streaming is off', () => {
    const container = buildBatchJob(input(FULL, false)).job.taskGroups[0]!.taskSpec.runnables[0]!.container;
    expect(container.enableImageStreaming).toBe(false);
    expect(container.options).toBe('--privileged');
    expect(container.blockExternalNetwork).toBe(true);
  });

  it('labels the job for correlation without leaking the raw key', () => {
    const built = input(FULL);
    const { job } = buildBatchJob(built);
    expect(job.labels).toEqual({
      team: 'platform',
      'streamgate-key': keyHash('Build #42 / main'),
      'streamgate-source': 'webhook',
      'streamgate-correlation': 'ci-run_7',
      'streamgate-streaming': 'on',
      'streamgate-managed': 'true',
      'streamgate-request': requestFingerprint(built.request),
      'streamgate-mode': 'auto',
      'streamgate-verdict': 'eligible',
      'streamgate-reasons': '',
      'streamgate-warnings': '',
    });
    for (const [key, value] of Object.entries(job.labels)) {
      expect(key).toMatch(LABEL_KEY_PATTERN);
      expect(value).toMatch(LABEL_VALUE_PATTERN);
    }
  });

  it('records the fingerprint and the streaming decision, so a repeat can report them from Batch', () => {
    const off = buildBatchJob(input({ ...FULL, streaming: 'require' }, false)).job.labels;
    expect(off).toMatchObject({
      'streamgate-streaming': 'off',
      'streamgate-mode': 'require',
      'streamgate-verdict': 'ineligible',
      'streamgate-reasons': 'location_mismatch',
      'streamgate-warnings': 'zstd_layers',
    });
    // Another request (here: another task count) under the same key carries another fingerprint.
    const other = buildBatchJob(input({ ...FULL, taskCount: 5 })).job.labels;
    expect(other['streamgate-request']).toMatch(/^[a-z2-7]{20}$/);
    expect(other['streamgate-request']).not.toBe(buildBatchJob(input(FULL)).job.labels['streamgate-request']);
  });

  it('omits the machine type when the request names none, letting Batch choose', () => {
    expect(buildBatchJob(input()).job.allocationPolicy.instances[0]?.policy).toEqual({
      provisioningModel: 'STANDARD',
    });
  });

  it('is deterministic', () => {
    expect(buildBatchJob(input(FULL))).toEqual(buildBatchJob(input(FULL)));
    expect(JSON.stringify(buildBatchJob(input(FULL)))).toBe(JSON.stringify(buildBatchJob(input(FULL))));
  });

  it('survives the Batch protobuf serializer unchanged (every field is a real proto field)', () => {
    for (const [fields, streaming] of [
      [FULL, true],
      [FULL, false],
      [{}, true],
    ] as const) {
      const plan = buildBatchJob(input(fields, streaming));
      const wire = { parent: plan.parent, jobId: plan.jobId, requestId: plan.requestId, job: plan.job };
      const back = throughTheWire(wire) as typeof wire;
      // Empty lists and maps do not exist on the wire; enableImageStreaming is `optional bool`, so false survives.
      const expected = JSON.parse(
        JSON.stringify(wire, (k, v: unknown) =>
          (Array.isArray(v) && v.length === 0) || (k === 'variables' && Object.keys(v as object).length === 0)
            ? undefined
            : v,
        ),
      );
      expect(back).toEqual(expected);
    }
  });
});
