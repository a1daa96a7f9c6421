/**
 * The logs-based metrics of infra/terraform/monitoring.tf read what the logger actually writes:
 * the pipeline runs against in-memory ports (a launch, a refusal, a completion), its log lines
 * are captured as Cloud Logging receives them, and every `jsonPayload.*` path a metric's filter
 * or extractors name must be present in the lines its filter selects.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOG_MESSAGES } from '../../shared/core/log-lines.js';
import { toLaunchRequest } from '../../shared/core/request.js';
import { handleJobNotification } from '../../shared/pipeline/job-notifications.js';
import { launch } from '../../shared/pipeline/launch.js';
import { TEST_DIGEST, TEST_MANIFEST, memoryPorts } from '../helpers/memory-ports.js';
import {
  checkLogMetricFields,
  checkLogMetricShapes,
  logMetricUses,
} from '../helpers/terraform-monitoring.js';
import {
  parseTerraformFiles,
  readTerraformFiles,
  type SourceFile,
  type TerraformModule,
} from '../helpers/terraform.js';

const TERRAFORM_DIR = join(import.meta.dirname, '..', '..', 'infra', 'terraform');
const IMAGE = `us-central1-docker.pkg.dev/demo-project/apps/web@${TEST_DIGEST}`;

/** The pipeline's log lines for one launch, one refusal (policy) and that job's completion. */
async function pipelineLines(): Promise<Array<Record<string, unknown>>> {
  const ports = memoryPorts({
    document: TEST_MANIFEST,
    config: { policy: { allowedRegions: ['us-*'] } },
  });
  const ids = (n: number) =>
    ({ source: 'webhook', idempotencyKey: `key-${n}`, correlationId: `corr-${n}` }) as const;
  const launched = await launch(toLaunchRequest({ apiVersion: 'streamgate/v1', image: IMAGE }, ids(1)), {
    ...ports.deps,
    receivedAt: new Date(ports.deps.clock.now().getTime() - 1234),
  });
  expect(launched).toMatchObject({ status: 'launched', created: true });
  const refused = await launch(
    toLaunchRequest({ apiVersion: 'streamgate/v1', image: IMAGE, region: 'europe-west1' }, ids(2)),
    ports.deps,
  );
  expect(refused).toMatchObject({ status: 'rejected', category: 'policy' });
  if (launched.status !== 'launched') throw new Error('no job');
  const job = ports.batch.jobs.get(launched.jobName)!;
  ports.batch.put({ ...job, name: launched.jobName, state: 'SUCCEEDED' });
  await handleJobNotification(
    { JobName: launched.jobName, JobUID: job.uid ?? 'uid', NewJobState: 'SUCCEEDED' },
    { messageId: 'n-1' },
    ports.deps,
  );
  return ports.logs;
}

let files: SourceFile[];
let module: TerraformModule;
let lines: Array<Record<string, unknown>>;

beforeAll(async () => {
  files = await readTerraformFiles(TERRAFORM_DIR);
  module = await parseTerraformFiles(files);
  lines = await pipelineLines();
});

/** The module with one text replacement in monitoring.tf. */
function mutated(from: string, to: string): Promise<TerraformModule> {
  const file = files.find((f) => f.name === 'monitoring.tf')!;
  expect(file.text).toContain(from);
  return parseTerraformFiles(
    files.map((f) => (f === file ? { ...f, text: f.text.replaceAll(from, to) } : f)),
  );
}

describe('logs-based metrics against the log lines', () => {
  it('counts launches, refusals, completions and launch latency from the lines the pipeline writes', () => {
    const messages = logMetricUses(module).flatMap((use) => use.messages);
    expect(new Set(messages)).toEqual(
      new Set([LOG_MESSAGES.launched, LOG_MESSAGES.rejected, LOG_MESSAGES.completed]),
    );
    const launchedLine = lines.find((line) => line.message === LOG_MESSAGES.launched);
    expect(launchedLine).toMatchObject({
      source: 'webhook',
      verdict: expect.any(String),
      launchLatencyMs: 1234,
    });
    expect(typeof launchedLine?.streaming).toBe('boolean');
    expect(lines.find((line) => line.message === LOG_MESSAGES.rejected)).toMatchObject({
      reasonCode: 'POLICY_REGION',
    });
    expect(lines.find((line) => line.message === LOG_MESSAGES.completed)).toMatchObject({
      state: 'SUCCEEDED',
      correlationId: 'corr-1',
    });
  });

  it('reads only fields those lines carry', () => {
    expect(checkLogMetricFields(module, lines)).toEqual([]);
  });

  it('flags a field the logger does not write, and a message it never logs', async () => {
    const renamed = await mutated('jsonPayload.reasonCode', 'jsonPayload.reason_code');
    expect(checkLogMetricFields(renamed, lines)).toEqual([
      'google_logging_metric.refusals: lines "request rejected" have no field reason_code (jsonPayload.reason_code)',
    ]);
    const retitled = await mutated('message=\\"job completed\\"', 'message=\\"job finished\\"');
    expect(checkLogMetricFields(retitled, lines)).toEqual([
      'google_logging_metric.completions: no log line has message "job finished"',
    ]);
  });

  it('declares a descriptor label for each extractor, and buckets for the latency distribution', async () => {
    expect(checkLogMetricShapes(module)).toEqual([]);
    const extra = await mutated('    verdict   = "EXTRACT(jsonPayload.verdict)"\n', '');
    expect(checkLogMetricShapes(extra)).toEqual([
      'google_logging_metric.launches: label verdict has no label extractor',
    ]);
    const noBuckets = await mutated('DISTRIBUTION', 'INT64');
    expect(checkLogMetricShapes(noBuckets)).toEqual([
      'google_logging_metric.launch_latency: a counter must not set value_extractor',
    ]);
  });
});
