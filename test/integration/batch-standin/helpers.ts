import * as grpc from '@grpc/grpc-js';
import { BatchServiceClient } from '@google-cloud/batch';
import type { protos } from '@google-cloud/batch';
import { startBatchStandIn } from '../../../infra/local/batch/server.js';
import type { BatchStandIn, BatchStandInOptions } from '../../../infra/local/batch/server.js';
import { createLogger } from '../../../shared/adapters/logger.js';

export type Job = protos.google.cloud.batch.v1.IJob;

export const PROJECT = 'demo-project';
export const REGION = 'us-central1';
export const PARENT = `projects/${PROJECT}/locations/${REGION}`;
export const FAST = { queuedMs: 20, scheduledMs: 20, runningMs: 20 };

/** Log lines the stand-in writes during a test, instead of stdout. */
export const quietLogger = (lines: string[] = []) =>
  createLogger({ component: 'batch-standin' }, (line) => lines.push(line));

export interface Harness {
  standIn: BatchStandIn;
  client: BatchServiceClient;
  close(): Promise<void>;
}

/** A stand-in plus the real client pointed at it, with no credentials. */
export async function startHarness(options: BatchStandInOptions = {}): Promise<Harness> {
  const standIn = await startBatchStandIn({ logger: quietLogger(), ...options });
  const client = new BatchServiceClient({
    apiEndpoint: '127.0.0.1',
    port: standIn.port,
    sslCreds: grpc.credentials.createInsecure(),
  });
  return {
    standIn,
    client,
    async close() {
      await client.close();
      await standIn.close();
    },
  };
}

/** A minimal valid job whose container runs `commands` (entrypoint optional). */
export function jobSpec(
  commands: string[] = ['echo', 'hello'],
  extra: Partial<Job> = {},
  entrypoint?: string,
): Job {
  return {
    taskGroups: [
      {
        taskCount: 1,
        taskSpec: {
          runnables: [
            {
              container: {
                imageUri: 'us-central1-docker.pkg.dev/demo-project/apps/hello:1',
                commands,
                ...(entrypoint ? { entrypoint } : {}),
              },
            },
          ],
        },
      },
    ],
    allocationPolicy: { location: { allowedLocations: [`regions/${REGION}`] } },
    ...extra,
  };
}

/** Polls `check` until it returns a value, bounded in time. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  stepMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The gRPC code of a client error. */
export function codeOf(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}
