import './zod-locale.js';
import * as z from 'zod/mini';
import { StreamgateError } from './errors.js';
import { formatIssues } from './issues.js';
import { LABEL_VALUE_PATTERN, USER_LABEL_KEY_PATTERN } from './labels.js';
import { LIMITS } from './limits.js';
import { checkRequestPlatform } from './machine-families.js';

/**
 * JobRequest v1, the public request format (Pub/Sub `requests` topic and the webhook), and
 * LaunchRequest, the normalised form all three entry points turn their input into.
 *
 * Schemas are strict: unknown fields are errors. Secrets and identities (registry credentials,
 * service accounts) are deliberately absent: they come from config and Secret Manager only.
 */

export const JOB_REQUEST_API_VERSION = 'streamgate/v1';

export const STREAMING_MODES = ['auto', 'require', 'off', 'repair'] as const;
export type StreamingMode = (typeof STREAMING_MODES)[number];
export const StreamingModeSchema = z
  .enum(STREAMING_MODES)
  .check(
    z.describe(
      'auto: stream when eligible, else run without; require: reject ineligible images; off: never stream; repair: as auto, but an image whose only reasons are empty or duplicate layers is repaired (in a repository listed in repairRepositories) and the repaired digest runs with streaming.',
    ),
  );

const PROVISIONING_MODELS = ['STANDARD', 'SPOT'] as const;
type ProvisioningModel = (typeof PROVISIONING_MODELS)[number];

export const LAUNCH_SOURCES = ['push', 'pubsub', 'webhook'] as const;
export type LaunchSource = (typeof LAUNCH_SOURCES)[number];

/** Printable ASCII without spaces: safe in headers, logs and attributes. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]{1,2}$/;
export const MACHINE_TYPE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const DURATION_PATTERN = /^[1-9][0-9]{0,7}s$/;

const ImageStringSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.imageLength),
    z.regex(/^[^\s]+$/, 'must not contain whitespace'),
    z.describe(
      'Image reference: HOST/PATH[:TAG][@sha256:DIGEST], e.g. us-central1-docker.pkg.dev/p/repo/app:1.0',
    ),
  );

export const IdempotencyKeySchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.idempotencyKeyLength),
    z.regex(TOKEN_PATTERN, 'must be printable ASCII without spaces'),
  );

export const CorrelationIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.correlationIdLength),
    z.regex(TOKEN_PATTERN, 'must be printable ASCII without spaces'),
  );

const ContainerSchema = z
  .strictObject({
    commands: z
      .optional(
        z.array(z.string().check(z.maxLength(LIMITS.commandLength))).check(z.maxLength(LIMITS.commandCount)),
      )
      .check(z.describe('Overrides CMD; appended to the entrypoint as arguments.')),
    entrypoint: z
      .optional(z.string().check(z.maxLength(LIMITS.entrypointLength)))
      .check(z.describe('Overrides ENTRYPOINT.')),
    volumes: z
      .optional(
        z
          .array(z.string().check(z.minLength(1), z.maxLength(LIMITS.volumeLength)))
          .check(z.maxLength(LIMITS.volumeCount)),
      )
      .check(z.describe('docker --volume syntax, e.g. /mnt/disks/share:/share:ro')),
    options: z
      .optional(z.string().check(z.maxLength(LIMITS.optionsLength)))
      .check(z.describe('Extra docker run flags. Ignored by Batch when Image streaming is on.')),
    blockExternalNetwork: z
      .optional(z.boolean())
      .check(z.describe('Ignored by Batch when Image streaming is on.')),
  })
  .check(z.describe('Container fields of the job runnable. imageUri comes from `image`.'));
type ContainerFields = z.infer<typeof ContainerSchema>;

const EnvironmentSchema = z
  .record(
    z.string().check(z.minLength(1), z.maxLength(LIMITS.environmentNameLength), z.regex(ENV_NAME_PATTERN)),
    z.string().check(z.maxLength(LIMITS.environmentValueLength)),
  )
  .check(
    z.refine((vars) => Object.keys(vars).length <= LIMITS.environmentVariableCount, {
      message: `at most ${LIMITS.environmentVariableCount} environment variables`,
    }),
    z.meta({ maxProperties: LIMITS.environmentVariableCount }),
    z.describe('Environment variables of every task (values are never logged or put in events).'),
  );

const UserLabelsSchema = z
  .record(z.string().check(z.regex(USER_LABEL_KEY_PATTERN)), z.string().check(z.regex(LABEL_VALUE_PATTERN)))
  .check(
    z.refine((labels) => Object.keys(labels).length <= LIMITS.userLabelCount, {
      message: `at most ${LIMITS.userLabelCount} labels`,
    }),
    z.meta({ maxProperties: LIMITS.userLabelCount }),
    z.describe('GCP labels for the job; keys starting with goog-, google- or streamgate- are reserved.'),
  );

export const RegionSchema = z.string().check(z.maxLength(LIMITS.regionLength), z.regex(REGION_PATTERN));
const MachineTypeSchema = z
  .string()
  .check(z.maxLength(LIMITS.machineTypeLength), z.regex(MACHINE_TYPE_PATTERN));

const PlatformStringSchema = z
  .string()
  .check(
    z.maxLength(64),
    z.regex(/^[a-z0-9]+\/[a-z0-9_-]+(\/[a-z0-9.]+)?$/, 'must look like os/arch[/variant], e.g. linux/arm64'),
    z.describe(
      "Platform the job runs, os/arch[/variant] (e.g. linux/arm64); every image is judged against it. Must agree with machineType (Arm families run linux/arm64, the rest linux/amd64); arm64 needs an Arm machineType. Default: the machine type's platform, else config platform.",
    ),
  );

const MaxRunDurationSchema = z
  .union([
    z.string().check(
      z.regex(DURATION_PATTERN, 'must look like "3600s"'),
      z.refine((text) => Number.parseInt(text, 10) <= LIMITS.maxRunDurationSeconds, {
        message: `at most ${LIMITS.maxRunDurationSeconds}s`,
      }),
    ),
    z.int().check(z.minimum(1), z.maximum(LIMITS.maxRunDurationSeconds)),
  ])
  .check(z.describe('Maximum run time of each task: "3600s" or a number of seconds.'));

/** Every field a rule template may set: a JobRequest minus image, ids and streaming mode. */
const jobTemplateShape = {
  region: z.optional(RegionSchema).check(z.describe('Job region; must agree with the image location.')),
  container: z.optional(ContainerSchema),
  environment: z.optional(EnvironmentSchema),
  taskCount: z.optional(z.int().check(z.minimum(1), z.maximum(LIMITS.maxTaskCount))),
  parallelism: z
    .optional(z.int().check(z.minimum(1), z.maximum(LIMITS.maxParallelism)))
    .check(z.describe('At most taskCount.')),
  machineType: z.optional(MachineTypeSchema),
  provisioningModel: z.optional(z.enum(PROVISIONING_MODELS)),
  cpuMilli: z.optional(z.int().check(z.minimum(1), z.maximum(LIMITS.maxCpuMilli))),
  memoryMib: z.optional(z.int().check(z.minimum(1), z.maximum(LIMITS.maxMemoryMib))),
  maxRunDuration: z.optional(MaxRunDurationSchema),
  maxRetryCount: z.optional(z.int().check(z.minimum(0), z.maximum(LIMITS.maxRetryCount))),
  labels: z.optional(UserLabelsSchema),
};

export const JobTemplateSchema = z.strictObject(jobTemplateShape);

export const JobRequestV1Schema = z
  .strictObject({
    apiVersion: z.literal(JOB_REQUEST_API_VERSION),
    image: ImageStringSchema,
    idempotencyKey: z
      .optional(IdempotencyKeySchema)
      .check(z.describe('Same key, same job: repeats are not launched twice.')),
    correlationId: z
      .optional(CorrelationIdSchema)
      .check(z.describe('Carried into job labels, logs and events.')),
    streaming: z.optional(StreamingModeSchema),
    platform: z.optional(PlatformStringSchema),
    ...jobTemplateShape,
  })
  .check(z.describe('streamgate JobRequest v1: launch one Google Cloud Batch job from a container image.'));
export type JobRequestV1 = z.infer<typeof JobRequestV1Schema>;

/** Job defaults applied to every request (config `defaults`). */
export const JobDefaultsSchema = z.strictObject({
  taskCount: z._default(z.int().check(z.minimum(1), z.maximum(LIMITS.maxTaskCount)), 1),
  parallelism: z
    .optional(z.int().check(z.minimum(1), z.maximum(LIMITS.maxParallelism)))
    .check(z.describe('Defaults to taskCount.')),
  machineType: z.optional(MachineTypeSchema),
  provisioningModel: z._default(z.enum(PROVISIONING_MODELS), 'STANDARD'),
  cpuMilli: z._default(z.int().check(z.minimum(1), z.maximum(LIMITS.maxCpuMilli)), 2000),
  memoryMib: z._default(z.int().check(z.minimum(1), z.maximum(LIMITS.maxMemoryMib)), 2000),
  maxRunDurationSeconds: z._default(
    z.int().check(z.minimum(1), z.maximum(LIMITS.maxRunDurationSeconds)),
    3600,
  ),
  maxRetryCount: z._default(z.int().check(z.minimum(0), z.maximum(LIMITS.maxRetryCount)), 0),
  streaming: z._default(StreamingModeSchema, 'auto'),
});
export type JobDefaults = z.output<typeof JobDefaultsSchema>;
export const DEFAULT_JOB_DEFAULTS: JobDefaults = JobDefaultsSchema.parse({});

/** The container as launched: arrays always present, optional scalars only when set. */
export interface LaunchContainer {
  commands: string[];
  entrypoint?: string;
  volumes: string[];
  options?: string;
  blockExternalNetwork?: boolean;
}

/** The normalised request every entry point produces; defaults are applied. */
export interface LaunchRequest {
  source: LaunchSource;
  idempotencyKey: string;
  correlationId: string;
  image: string;
  container: LaunchContainer;
  environment: Record<string, string>;
  taskCount: number;
  parallelism: number;
  machineType?: string;
  /** The request's own `platform` (os/arch[/variant]); the job's platform is `jobPlatform` of this. */
  platform?: string;
  provisioningModel: ProvisioningModel;
  cpuMilli: number;
  memoryMib: number;
  maxRunDurationSeconds: number;
  maxRetryCount: number;
  region?: string;
  streaming: StreamingMode;
  labels: Record<string, string>;
  /** Name of the push rule that produced this request. */
  rule?: string;
}

export interface ToLaunchRequestOptions {
  source: LaunchSource;
  /** Used when the request carries no `idempotencyKey` (e.g. the Pub/Sub message id). */
  idempotencyKey: string;
  /** Used when the request carries no `correlationId`. */
  correlationId: string;
  defaults?: Partial<JobDefaults>;
  rule?: string;
}

/**
 * Validates unknown input as a JobRequest v1. Throws a permanent `INVALID_REQUEST` whose message
 * lists every issue by path (also in `details.issues`).
 */
export function parseJobRequest(input: unknown): JobRequestV1 {
  const result = JobRequestV1Schema.safeParse(input);
  const dropped = protoKeyIssues(input);
  if (result.success && dropped.length === 0) return result.data;
  const issues = [...(result.success ? [] : formatIssues(result.error.issues)), ...dropped];
  throw new StreamgateError('INVALID_REQUEST', `Invalid job request: ${issues.join('; ')}`, {
    kind: 'permanent',
    ...(result.success ? {} : { cause: result.error }),
    details: { issues },
  });
}

/**
 * zod's records skip a `__proto__` key without validating it, so `{"labels":{"__proto__":"x"}}`
 * would parse with the label silently gone; the schema is strict, so such a key is an issue.
 */
function protoKeyIssues(input: unknown): string[] {
  if (input === null || typeof input !== 'object') return [];
  return (['labels', 'environment'] as const)
    .filter((field) => {
      const record = (input as Record<string, unknown>)[field];
      return record !== null && typeof record === 'object' && Object.hasOwn(record, '__proto__');
    })
    .map((field) => `${field}.__proto__: "__proto__" cannot be used as a name`);
}

/**
 * Applies defaults and resolves ids. The request's own `idempotencyKey`/`correlationId` win; the
 * options supply them otherwise.
 *
 * @example
 *   toLaunchRequest(parseJobRequest(body), { source: 'webhook', idempotencyKey: header ?? uuid, correlationId: uuid })
 */
export function toLaunchRequest(request: JobRequestV1, options: ToLaunchRequestOptions): LaunchRequest {
  const defaults: JobDefaults = { ...DEFAULT_JOB_DEFAULTS, ...stripUndefined(options.defaults ?? {}) };
  const taskCount = request.taskCount ?? defaults.taskCount;
  if (request.parallelism !== undefined && request.parallelism > taskCount) {
    throw new StreamgateError(
      'INVALID_REQUEST',
      `Invalid job request: parallelism ${request.parallelism} exceeds taskCount ${taskCount}.`,
      { kind: 'permanent', details: { issues: [`parallelism: must be at most taskCount (${taskCount})`] } },
    );
  }
  // A default parallelism larger than a small request's taskCount is simply capped.
  const parallelism = request.parallelism ?? Math.min(defaults.parallelism ?? taskCount, taskCount);
  const machineType = request.machineType ?? defaults.machineType;
  // A platform the machine type cannot run is refused here, before any image is read.
  checkRequestPlatform({ platform: request.platform, machineType });
  const launch: LaunchRequest = {
    source: options.source,
    idempotencyKey: request.idempotencyKey ?? options.idempotencyKey,
    correlationId: request.correlationId ?? options.correlationId,
    image: request.image,
    container: toLaunchContainer(request.container),
    environment: { ...request.environment },
    taskCount,
    parallelism,
    provisioningModel: request.provisioningModel ?? defaults.provisioningModel,
    cpuMilli: request.cpuMilli ?? defaults.cpuMilli,
    memoryMib: request.memoryMib ?? defaults.memoryMib,
    maxRunDurationSeconds:
      request.maxRunDuration === undefined
        ? defaults.maxRunDurationSeconds
        : durationSeconds(request.maxRunDuration),
    maxRetryCount: request.maxRetryCount ?? defaults.maxRetryCount,
    streaming: request.streaming ?? defaults.streaming,
    labels: { ...request.labels },
  };
  if (machineType !== undefined) launch.machineType = machineType;
  if (request.platform !== undefined) launch.platform = request.platform;
  if (request.region !== undefined) launch.region = request.region;
  if (options.rule !== undefined) launch.rule = options.rule;
  return launch;
}

/** `"3600s"` or `3600` -> 3600. */
function durationSeconds(value: string | number): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

/**
 * Names of the Batch container fields a request sets, `imageUri` first. A field counts as set when
 * it changes what Batch does: non-empty arrays and strings, `blockExternalNetwork: true`.
 * Eligibility uses this for UNSUPPORTED_CONTAINER_FIELD (Batch ignores `options` and
 * `blockExternalNetwork` when streaming).
 *
 * @example containerFieldNames({ container: { commands: ['-c'], options: '--privileged' } })
 *   // ['imageUri', 'commands', 'options']
 */
export function containerFieldNames(request: { container?: Partial<LaunchContainer> | undefined }): string[] {
  const c = request.container ?? {};
  const names = ['imageUri'];
  if (c.commands !== undefined && c.commands.length > 0) names.push('commands');
  if (c.entrypoint !== undefined && c.entrypoint !== '') names.push('entrypoint');
  if (c.volumes !== undefined && c.volumes.length > 0) names.push('volumes');
  if (c.options !== undefined && c.options !== '') names.push('options');
  if (c.blockExternalNetwork === true) names.push('blockExternalNetwork');
  return names;
}

function toLaunchContainer(container: ContainerFields | undefined): LaunchContainer {
  const out: LaunchContainer = {
    commands: [...(container?.commands ?? [])],
    volumes: [...(container?.volumes ?? [])],
  };
  if (container?.entrypoint !== undefined) out.entrypoint = container.entrypoint;
  if (container?.options !== undefined) out.options = container.options;
  if (container?.blockExternalNetwork !== undefined)
    out.blockExternalNetwork = container.blockExternalNetwork;
  return out;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
