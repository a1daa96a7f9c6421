/**
 * Every port the pipeline talks to the outside world through, typed in domain terms (no SDK
 * shapes). Declared in the core so adapters implement them without importing the pipeline; the
 * functions and the CLI wire adapters in, tests pass in-memory ports (test/helpers/memory-ports.ts).
 */
import type { RepositoryFactsAnswer } from './eligibility.js';
import type { ImageReference } from './image-reference.js';
import type { BatchJobPlan } from './job-builder.js';
import type { FetchedManifest } from './manifest.js';
import type { Platform } from './platform.js';
import type { LayerFacts } from './repair/plan.js';

/** An image read from its registry: the root manifest and every index child fetched on the way. */
export interface ResolvedImage {
  /** As asked. */
  reference: ImageReference;
  /** Root digest (the tag resolved). */
  digest: string;
  /** Root document. */
  manifest: FetchedManifest;
  /** Every child fetched during index resolution, by digest. */
  manifests: Map<string, FetchedManifest>;
  /** The chosen child, when the root is an index. */
  platformDigest?: string;
  /** The image config blob of the judged manifest, when it was fetched (for `rootfs.diff_ids`). */
  config?: unknown;
}

/**
 * Reads an image from its registry. Failures are StreamgateErrors: MANIFEST_UNAVAILABLE
 * (transient), IMAGE_NOT_FOUND, DIGEST_MISMATCH, REGISTRY_AUTH_FAILED (permanent).
 */
export interface ImageResolver {
  resolve(reference: ImageReference, platform: Platform): Promise<ResolvedImage>;
}

/** Facts about the repository and project that the registry API itself does not give. */
export interface RepositoryFactsSource {
  facts(reference: ImageReference, digest: string): Promise<RepositoryFactsAnswer>;
  apiEnabled(project: string): Promise<boolean | 'unknown'>;
}

/**
 * A Batch job as the pipeline reads it: what Batch records, flattened from its first task group's
 * first runnable (the only ones streamgate creates). Optional fields are absent when Batch's answer
 * lacks them.
 */
export interface JobSnapshot {
  /** `projects/P/locations/R/jobs/ID` as Batch holds it (notifications name P by number). */
  name?: string;
  uid?: string;
  /** A Batch job state (`SUCCEEDED`, `RUNNING`…), `STATE_UNSPECIFIED` when Batch gives none. */
  state: string;
  /** The container's image URI; `''` when the job runs no container. */
  image: string;
  /** The container's `enableImageStreaming`, when Batch states it. */
  streaming?: boolean;
  labels: Record<string, string>;
  /** The task group's declared task count. */
  taskCount?: number;
  runDurationSeconds?: number;
  /** ISO 8601. */
  createTime?: string;
  updateTime?: string;
}

/** A task of a job, as the completion event reports it. */
export interface TaskSummary {
  name: string;
  /** A Batch task state (`SUCCEEDED`, `FAILED`…), `STATE_UNSPECIFIED` when Batch gives none. */
  state: string;
  /** The last exit code among the task's executions; null when none ran to an exit. */
  exitCode: number | null;
}

/**
 * The Batch API as the pipeline needs it. `ALREADY_EXISTS` is not an error: `created` is false and
 * `job` is the job that was there. Failures are StreamgateErrors (BATCH_UNAVAILABLE is transient).
 *
 * @example
 *   const { job, created } = await batch.createJob(plan);
 *   if (!created) log.info('repeat', { uid: job.uid });
 */
export interface BatchJobs {
  createJob(plan: BatchJobPlan): Promise<{ job: JobSnapshot; created: boolean }>;
  /** undefined when Batch has no job by that name. */
  getJob(name: string): Promise<JobSnapshot | undefined>;
  listTasks(jobName: string): Promise<TaskSummary[]>;
  /**
   * How many jobs in `parent` (`projects/P/locations/R`) carry the label and are QUEUED, SCHEDULED
   * or RUNNING, as Batch lists them now; counting stops at `atMost`.
   */
  countJobsInFlight(parent: string, label: { key: string; value: string }, atMost: number): Promise<number>;
}

/** A CloudEvent in Pub/Sub binary content mode: `ce-*` attributes and JSON data. */
export interface OutboundMessage {
  data: string;
  attributes: Record<string, string>;
}

/** Publishes streamgate's own events to the events topic; resolves to the message id. */
export interface EventSink {
  publish(message: OutboundMessage): Promise<string>;
}

/** The time, for stamping events (the core itself never reads a clock). */
export interface Clock {
  now(): Date;
}

/** Structured logging (one JSON line per call in production): `fields` never hold secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  notice(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** For failures no request can get past (e.g. a misconfigured deployment): alert on these. */
  critical(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` as well (e.g. a correlation id). */
  child(fields: Record<string, unknown>): Logger;
}

/** A layer as its manifest describes it. */
export interface LayerDescriptor {
  digest: string;
  mediaType?: string;
  size?: number;
}

/**
 * Reads a layer blob's tar headers (streamed, bounded): what a repair must know before dropping a
 * layer. Failures: REPAIR_LAYER_UNREADABLE (not a tar, or past a bound), DIGEST_MISMATCH, and the
 * registry's own (MANIFEST_UNAVAILABLE is transient).
 */
export interface LayerInspector {
  inspect(image: ImageReference, layer: LayerDescriptor): Promise<LayerFacts>;
}

/** Reads the parts of an image a repair rewrites: any manifest by digest, and JSON blobs (configs). */
export interface ImageContent {
  manifest(image: ImageReference, digest: string): Promise<FetchedManifest>;
  /** A config blob, parsed; MALFORMED-free callers get undefined for non-JSON. */
  config(image: ImageReference, digest: string): Promise<unknown>;
}

/**
 * Writes to the image's own repository (`streamgate fix`, mode `repair`), with `push,pull`
 * credentials. Failures are StreamgateErrors, as for reads.
 *
 * @example
 *   await writer.putBlob(image, config.digest, config.bytes);
 *   await writer.putManifest(image, 'v1-streamable', manifest.bytes, MEDIA_TYPES.ociManifest);
 */
export interface RegistryWriter {
  /** Uploads a blob unless the repository already holds it. */
  putBlob(image: ImageReference, digest: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /** PUTs a manifest by tag or digest; resolves to its digest. */
  putManifest(
    image: ImageReference,
    reference: string,
    bytes: Uint8Array<ArrayBuffer>,
    mediaType: string,
  ): Promise<string>;
  /** True when a manifest answers to this tag or digest (e.g. a cosign `sha256-<hex>.sig` tag). */
  hasManifest(image: ImageReference, reference: string): Promise<boolean>;
}
