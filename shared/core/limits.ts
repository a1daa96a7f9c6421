/**
 * Every size and count limit that streamgate enforces on its inputs, in one place so the schemas,
 * the docs and the tests agree. Batch's own limits are quoted where they exist; the rest are
 * generous bounds that keep a single message or config file from exhausting memory.
 */
export const LIMITS = {
  /** A full image reference: host[:port]/path[:tag][@sha256:…]. */
  imageLength: 1024,
  idempotencyKeyLength: 256,
  correlationIdLength: 128,
  /** Runnable.Container.commands. */
  commandCount: 256,
  commandLength: 4096,
  entrypointLength: 1024,
  volumeCount: 32,
  volumeLength: 1024,
  optionsLength: 4096,
  environmentVariableCount: 100,
  environmentNameLength: 256,
  environmentValueLength: 4096,
  /** Batch allows up to 100,000 tasks per task group. */
  maxTaskCount: 100_000,
  maxParallelism: 100_000,
  /** Batch's default is 2000 for both; the upper bounds sit above the largest machine types. */
  maxCpuMilli: 1_000_000,
  maxMemoryMib: 16_000_000,
  /** One year; Batch has no documented upper bound. */
  maxRunDurationSeconds: 31_536_000,
  /** TaskSpec.max_retry_count is [0, 10]. */
  maxRetryCount: 10,
  /** GCP allows 64 labels per resource; streamgate reserves some for itself. */
  userLabelCount: 32,
  machineTypeLength: 63,
  regionLength: 63,
  ruleCount: 200,
  ruleNameLength: 40,
  globLength: 512,
  policyListLength: 200,
  /** maxJobsInFlight: counting stops at the bound, so a larger one costs more ListJobs pages. */
  maxJobsInFlight: 10_000,
} as const;
