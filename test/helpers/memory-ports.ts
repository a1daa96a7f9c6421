/**
 * In-memory implementations of the core's ports (shared/core/ports.ts), for pipeline tests that
 * need no stack: Batch as a map of JobSnapshots, Pub/Sub as a list, a registry that answers one
 * manifest. They are our own interfaces, not Google clients, so nothing here mocks a client.
 *
 * @example
 *   const ports = memoryPorts({ document: MANIFEST });
 *   await launch(request, ports.deps);
 *   expect(ports.events.types()).toEqual(['dev.streamgate.job.launched']);
 */
import { createLogger } from '../../shared/adapters/logger.js';
import { fromPubsubMessage } from '../../shared/core/cloudevent.js';
import { parseConfig, type StreamgateConfigInput } from '../../shared/core/config.js';
import type { RepositoryFactsAnswer } from '../../shared/core/eligibility.js';
import type { ImageReference } from '../../shared/core/image-reference.js';
import type { BatchJobPlan } from '../../shared/core/job-builder.js';
import type {
  BatchJobs,
  EventSink,
  ImageResolver,
  JobSnapshot,
  OutboundMessage,
  RepositoryFactsSource,
  ResolvedImage,
  TaskSummary,
} from '../../shared/core/ports.js';
import type { PipelineDeps } from '../../shared/pipeline/deps.js';

export const TEST_DIGEST = `sha256:${'ab'.repeat(32)}`;
const TEST_NOW = new Date('2026-11-27T00:00:00Z');

/** A small eligible Docker schema 2 manifest, the image the pipeline tests launch. */
export const TEST_MANIFEST = {
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    digest: `sha256:${'c'.repeat(64)}`,
    size: 1,
  },
  layers: [
    {
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      digest: `sha256:${'1'.repeat(64)}`,
      size: 9,
    },
  ],
};

/** A config with the required settings filled in. */
export function testConfig(config: Partial<StreamgateConfigInput> = {}) {
  return parseConfig({
    project: 'demo-project',
    topics: { events: 'streamgate-events', notifications: 'batch-notifications' },
    jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
    ...config,
  });
}

/** A registry that answers every reference with one document (and image config), recording what was asked. */
class MemoryImages implements ImageResolver {
  readonly references: ImageReference[] = [];
  /** `os/architecture[/variant]` per call. */
  readonly platforms: string[] = [];
  constructor(
    public document: unknown,
    public imageConfig?: unknown,
    public digest = TEST_DIGEST,
  ) {}
  /** When set, every resolve fails with it (a registry that is down). */
  failure: Error | undefined;
  async resolve(reference: ImageReference, platform: { os: string; architecture: string; variant?: string }) {
    this.references.push(reference);
    if (this.failure) throw this.failure;
    this.platforms.push([platform.os, platform.architecture, platform.variant].filter(Boolean).join('/'));
    const resolved: ResolvedImage = {
      reference,
      digest: this.digest,
      manifest: { document: this.document },
      manifests: new Map(),
      ...(this.imageConfig !== undefined ? { config: this.imageConfig } : {}),
    };
    return resolved;
  }
}

/** Repository facts with one fixed answer. */
class MemoryFacts implements RepositoryFactsSource {
  constructor(public answer: RepositoryFactsAnswer = { format: 'DOCKER', mode: 'STANDARD' }) {}
  async facts(): Promise<RepositoryFactsAnswer> {
    return this.answer;
  }
  async apiEnabled(): Promise<boolean | 'unknown'> {
    return true;
  }
}

/** Batch as a map of jobs by name, with tasks per job and call counts. */
export class MemoryBatch implements BatchJobs {
  readonly jobs = new Map<string, JobSnapshot>();
  readonly tasks = new Map<string, TaskSummary[]>();
  readonly calls = { createJob: 0, getJob: 0, listTasks: 0, countJobsInFlight: 0 };
  /** Answers creates instead of `store` (e.g. the way a racing caller would see it). */
  onCreate: ((plan: BatchJobPlan) => { job: JobSnapshot; created: boolean }) | undefined;
  /** Thrown by the next getJob calls, one each. */
  readonly getJobFailures: Error[] = [];

  async createJob(plan: BatchJobPlan) {
    this.calls.createJob++;
    return this.onCreate ? this.onCreate(plan) : { job: this.store(plan), created: true };
  }
  async getJob(name: string) {
    this.calls.getJob++;
    const failure = this.getJobFailures.shift();
    if (failure) throw failure;
    return this.jobs.get(name);
  }
  async listTasks(jobName: string) {
    this.calls.listTasks++;
    return this.tasks.get(jobName) ?? [];
  }
  async countJobsInFlight(parent: string, label: { key: string; value: string }, atMost: number) {
    this.calls.countJobsInFlight++;
    const inFlight = [...this.jobs.values()].filter(
      (job) =>
        job.name?.startsWith(`${parent}/jobs/`) &&
        job.labels[label.key] === label.value &&
        ['QUEUED', 'SCHEDULED', 'RUNNING'].includes(job.state),
    );
    return Math.min(inFlight.length, atMost);
  }
  /** Stores the job a plan describes, as Batch would report it just after the create. */
  store(plan: BatchJobPlan): JobSnapshot {
    const name = `${plan.parent}/jobs/${plan.jobId}`;
    const group = plan.job.taskGroups[0];
    const container = group?.taskSpec.runnables[0]?.container;
    const job: JobSnapshot = {
      name,
      uid: `${plan.jobId}-uid`,
      state: 'QUEUED',
      image: container?.imageUri ?? '',
      streaming: container?.enableImageStreaming ?? false,
      labels: { ...plan.job.labels },
      ...(group ? { taskCount: group.taskCount } : {}),
    };
    this.jobs.set(name, job);
    return job;
  }
  /** Puts (or replaces) a job as Batch would report it. */
  put(job: JobSnapshot & { name: string }): void {
    this.jobs.set(job.name, job);
  }
}

/** The events topic as a list of messages. */
class MemoryEvents implements EventSink {
  readonly messages: OutboundMessage[] = [];
  async publish(message: OutboundMessage): Promise<string> {
    this.messages.push(message);
    return String(this.messages.length);
  }
  /** The published CloudEvents, decoded. */
  events() {
    return this.messages.map((m) => fromPubsubMessage(m));
  }
  types(): string[] {
    return this.events().map((e) => e.type);
  }
}

export interface MemoryPortsOptions {
  config?: Partial<StreamgateConfigInput>;
  /** The manifest every reference resolves to. */
  document?: unknown;
  imageConfig?: unknown;
  facts?: RepositoryFactsAnswer;
}

/** Every port in memory, plus the log lines written. */
export function memoryPorts(options: MemoryPortsOptions = {}) {
  const images = new MemoryImages(options.document ?? {}, options.imageConfig);
  const repositoryFacts = new MemoryFacts(options.facts);
  const batch = new MemoryBatch();
  const events = new MemoryEvents();
  const logs: Array<Record<string, unknown>> = [];
  const deps: PipelineDeps = {
    config: testConfig(options.config),
    images,
    repositoryFacts,
    batch,
    events,
    clock: { now: () => TEST_NOW },
    logger: createLogger({}, (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
  };
  return { deps, images, repositoryFacts, batch, events, logs };
}

/** Batch and Pub/Sub ports that fail the test when called (for code that must not reach them). */
export function refusingPorts(what: string): Pick<PipelineDeps, 'batch' | 'events'> {
  const refuse = () => Promise.reject(new Error(`${what} must not call Batch or Pub/Sub`));
  return {
    batch: { createJob: refuse, getJob: refuse, listTasks: refuse, countJobsInFlight: refuse },
    events: { publish: refuse },
  };
}
