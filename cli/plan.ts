/**
 * `streamgate plan --request FILE`: the Batch job a JobRequest would create, through the same
 * `planLaunch` the functions use, with the real registry and Artifact Registry adapters. Nothing is
 * created and nothing is published: Batch and Pub/Sub are never contacted.
 */
import { parseCommandArgs } from './args.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfig, parseConfigText } from '../shared/adapters/config-loader.js';
import type { StreamgateConfig } from '../shared/core/config.js';
import { isStreamgateError, StreamgateError } from '../shared/core/errors.js';
import { jobPlatform } from '../shared/core/machine-families.js';
import { formatPlatform } from '../shared/core/platform.js';
import { LAUNCH_SOURCES, type LaunchRequest } from '../shared/core/request.js';
import { admit } from '../shared/pipeline/admit.js';
import type { PipelineDeps } from '../shared/pipeline/deps.js';
import { systemClock } from '../shared/adapters/system-clock.js';
import { planLaunch, type PlanResult } from '../shared/pipeline/plan.js';
import { parseTimeout } from './check.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { createLiveAdapters, type LiveAdapterOptions } from './live-adapters.js';
import { describeReadFailure } from './read-failure.js';
import { formatReport, toCheckJson } from './report.js';

export const PLAN_HELP = `streamgate plan — the Batch job a JobRequest would create (nothing is created)

Usage:
  streamgate plan --request FILE [--config FILE] [--source webhook|pubsub] [--json] [--timeout MS]

Options:
  --request FILE   a JobRequest v1 (JSON); see schemas/job-request.v1.json
  --config FILE    streamgate.config.json (default: STREAMGATE_CONFIG_JSON, STREAMGATE_CONFIG or
                   ./streamgate.config.json)
  --source S       the entry point to plan for: webhook (default) or pubsub; it names the job id
  --timeout MS     per-request registry timeout in milliseconds (default 10000)
  --json           print exactly one JSON object: {"status":"planned",report,streaming,jobRegion,
                   platform,imageUri,digest?,parent,jobId,requestId,job} or
                   {"status":"rejected",category,reasons,report?}
  -h, --help       this text

The image is read live from its registry (STREAMGATE_REGISTRY_OVERRIDES applies), exactly as a
launch would, and judged against the job's platform: the request's "platform", else its machine
type's (Arm families run linux/arm64, the rest linux/amd64), else config "platform". Without
"idempotencyKey" in the request, the job id is derived from the request file's content; a real
launch would use the Idempotency-Key header or the Pub/Sub message id.

Exit status: 0 a job would be created; 1 the request would be rejected; 2 usage error, unreadable
file or config, or an image that cannot be read.`;

const OPTIONS = {
  request: { type: 'string' },
  config: { type: 'string' },
  source: { type: 'string', default: 'webhook' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type PlanSource = 'webhook' | 'pubsub';

/** Replaceable defaults (tests): token source, overrides, environment for the adapters and config. */
export type PlanDeps = Omit<LiveAdapterOptions, 'timeoutMs'>;

/**
 * `streamgate plan …`. Returns the exit status.
 *
 * @example
 *   await runPlan(['--request', 'req.json', '--config', 'streamgate.config.json', '--json'], io)
 */
export async function runPlan(argv: string[], io: CliIo, deps: PlanDeps = {}): Promise<number> {
  const parsed = parseCommandArgs('plan', { args: argv, options: OPTIONS, allowPositionals: false });
  const { values } = parsed;
  if (values.help) {
    io.out(PLAN_HELP);
    return EXIT.ok;
  }
  if (values.request === undefined)
    throw new UsageError('give --request FILE; run `streamgate plan --help`.');
  const source = parseSource(values.source);
  const timeoutMs = values.timeout === undefined ? undefined : parseTimeout(values.timeout);

  const config = await readConfig(values.config, deps.env);
  const request = await readRequest(values.request, source, config);

  const live = createLiveAdapters(io, { ...deps, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  try {
    const pipeline: PipelineDeps = {
      config,
      images: live.images,
      repositoryFacts: live.repositoryFacts,
      batch: untouched('Batch'),
      events: untouched('Pub/Sub'),
      clock: systemClock,
      logger: live.logger,
    };
    let result: PlanResult;
    try {
      result = await planLaunch(request, pipeline);
    } catch (error) {
      if (!isStreamgateError(error)) throw error;
      io.err(`streamgate: cannot read ${request.image}: ${await describeReadFailure(error)}`);
      return EXIT.usage;
    }
    // The platform every image was judged against (admission has checked it already).
    const platform = formatPlatform(jobPlatform(request, config.platform));
    io.out(values.json ? JSON.stringify(planJson(result, platform)) : formatPlan(result, request, platform));
    return result.ok ? EXIT.ok : EXIT.ineligible;
  } finally {
    await live.close();
  }
}

function parseSource(text: string): PlanSource {
  if (text === 'webhook' || text === 'pubsub') return text;
  const known = LAUNCH_SOURCES.filter((s) => s !== 'push').join(' or ');
  throw new UsageError(`--source is ${known}, not "${text}".`);
}

/** `--config FILE` wins; otherwise the functions' own lookup (inline JSON, then the file path). */
async function readConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv | undefined,
): Promise<StreamgateConfig> {
  try {
    if (file === undefined) return await loadConfig(env === undefined ? {} : { env });
    return parseConfigText(await readText(file), file);
  } catch (error) {
    if (isStreamgateError(error)) throw new UsageError(error.message);
    throw error;
  }
}

async function readRequest(
  file: string,
  source: PlanSource,
  config: StreamgateConfig,
): Promise<LaunchRequest> {
  const text = await readText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON.`);
  }
  // Stable across runs of the same file, so two plans of one request name the same job.
  const key = `plan-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  const admission = admit(json, { source, idempotencyKey: key, correlationId: key }, config);
  if (!admission.admitted) throw new UsageError(`${file}: ${admission.finding.message}`);
  return admission.request;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
}

/** A port that must not be used by a plan; calling it is a bug, so it fails loudly. */
function untouched(what: string): PipelineDeps['batch'] & PipelineDeps['events'] {
  const forbidden = (): Promise<never> =>
    Promise.reject(
      new StreamgateError('INTERNAL', `streamgate plan must not contact ${what}.`, { kind: 'permanent' }),
    );
  return {
    createJob: forbidden,
    getJob: forbidden,
    listTasks: forbidden,
    countJobsInFlight: forbidden,
    publish: forbidden,
  };
}

/** The `--json` object. */
export function planJson(result: PlanResult, platform?: string): Record<string, unknown> {
  if (!result.ok) {
    return {
      status: 'rejected',
      category: result.category,
      reasons: result.reasons.map(({ code, message }) => ({ code, message })),
      ...(result.report ? { report: toCheckJson(result.report) } : {}),
    };
  }
  const { planned } = result;
  return {
    status: 'planned',
    report: toCheckJson(planned.report),
    streaming: planned.streaming,
    jobRegion: planned.jobRegion,
    ...(platform === undefined ? {} : { platform }),
    imageUri: planned.imageUri,
    ...(planned.digest ? { digest: planned.digest } : {}),
    parent: planned.plan.parent,
    jobId: planned.plan.jobId,
    requestId: planned.plan.requestId,
    job: planned.plan.job,
  };
}

function formatPlan(result: PlanResult, request: LaunchRequest, platform: string): string {
  if (!result.ok) {
    const lines = [`REJECTED (${result.category}): ${request.image}`];
    for (const r of result.reasons) lines.push(`  reason  ${r.code}: ${r.message}`);
    if (result.report) lines.push('', formatReport(result.report, request.image));
    return lines.join('\n');
  }
  const { planned } = result;
  return [
    formatReport(planned.report, request.image),
    '',
    `Job ${planned.plan.parent}/jobs/${planned.plan.jobId} (image streaming ${planned.streaming.enabled ? 'on' : 'off'})`,
    `  image:      ${planned.imageUri}`,
    `  platform:   ${platform}`,
    `  request id: ${planned.plan.requestId}`,
    JSON.stringify(planned.plan.job, null, 2),
  ].join('\n');
}
