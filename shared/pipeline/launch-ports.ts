import type { protos } from '@google-cloud/batch';

/** A Batch job as the Node client returns it (enums as strings). */
export type BatchJob = protos.google.cloud.batch.v1.IJob;
export type BatchTask = protos.google.cloud.batch.v1.ITask;

export interface CreateJobInput {
  parent: string;
  jobId: string;
  requestId: string;
  job: object;
}

/** The Batch API as the pipeline needs it. `ALREADY_EXISTS` is not an error: `created` is false. */
export interface BatchJobs {
  createJob(input: CreateJobInput): Promise<{ job: BatchJob; created: boolean }>;
  getJob(name: string): Promise<BatchJob | undefined>;
  listTasks(jobName: string): Promise<BatchTask[]>;
}

/** A CloudEvent in Pub/Sub binary content mode: `ce-*` attributes and JSON data. */
export interface OutboundMessage {
  data: string;
  attributes: Record<string, string>;
}

/** Publishes streamgate's own events to the events topic. */
export interface EventSink {
  publish(message: OutboundMessage): Promise<string>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
