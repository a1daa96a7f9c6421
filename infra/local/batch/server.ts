import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { StreamgateError } from '../../../shared/core/errors.js';
import { createLogger } from '../../../shared/adapters/logger.js';
import type { Logger } from '../../../shared/adapters/logger.js';
import { BatchBackend } from './backend.js';
import type { LifecycleTimings } from './backend.js';
import { BATCH_RPCS, FaultInjector } from './faults.js';
import type { BatchFaults, BatchRpc, FaultCode, FaultTiming } from './faults.js';
import type { Notify } from './notifier.js';
import { batchServiceDefinition } from './protos.js';
import { parseJobName } from './names.js';
import { toStatus } from './rpc-error.js';
import type { StoredJob } from './store.js';
import { TimerSet } from './timers.js';
import type { JobState, Task } from './wire.js';

export type { BatchFaults } from './faults.js';
export type { LifecycleTimings } from './backend.js';
export type { NotificationMessage } from './notification-format.js';

const DEFAULT_TIMINGS: LifecycleTimings = { queuedMs: 200, scheduledMs: 200, runningMs: 500 };
export const DEFAULT_PROJECT_NUMBER = '123456789012';

export interface BatchStandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Time spent in QUEUED, SCHEDULED and RUNNING; 'manual' moves jobs only via `advance`. */
  timings?: LifecycleTimings | 'manual';
  /** Project number used in notification names (and accepted in GetJob names). */
  projectNumber?: string;
  /** Per-project numbers, when several projects are used. */
  projectNumbers?: Record<string, string>;
  /** Receives Batch's Pub/Sub notifications (e.g. `createPubSubNotifier(address).notify`). */
  notify?: Notify;
  /** Tries per notification (default 4) and the first backoff in ms (default 50, doubling). */
  notifyAttempts?: number;
  notifyBackoffMs?: number;
  /** Add `Type: JOB_STATE_CHANGED` to job-level messages (Batch's sample omits it). */
  jobTypeAttribute?: boolean;
  faults?: BatchFaults;
  /** Clock in ms since the epoch, for timestamps and the request_id window. */
  now?: () => number;
  logger?: Logger;
}

export interface BatchStandIn {
  /** `127.0.0.1:port` */
  address: string;
  port: number;
  /** Every stored job (copies), in creation order. */
  jobs(): StoredJob[];
  /** A stored job by name (project id or number), or undefined. */
  getJobByName(name: string): StoredJob | undefined;
  /** The tasks of a job (copies); empty when the job is unknown. */
  tasks(jobName: string): Task[];
  /** CreateJob RPCs received, faulted ones included. */
  createCalls(): number;
  /** RPCs of one kind received. */
  callCount(rpc: BatchRpc): number;
  /** Moves a job one lifecycle step now; returns the new state, or undefined. */
  advance(jobName: string): JobState | undefined;
  /** Replaces the fault settings (validated; reseeds the PRNG). */
  setFaults(faults: BatchFaults): void;
  /** The next `count` calls of `rpc` fail with `code`. */
  failNext(rpc: BatchRpc, code: FaultCode, count?: number, when?: FaultTiming): void;
  /** Resolves once every notification queued so far was delivered or dropped. */
  notificationsIdle(): Promise<void>;
  notificationStats(): { delivered: number; dropped: number };
  /** Timers currently pending (lifecycle steps, latency, retries). */
  pendingTimers(): number;
  /** Stops the server, clears every timer and stops notification retries. */
  close(): Promise<void>;
}

const TimingsSchema = z.union([
  z.literal('manual'),
  z.strictObject({
    queuedMs: z.number().min(0),
    scheduledMs: z.number().min(0),
    runningMs: z.number().min(0),
  }),
]);
const OptionsSchema = z.looseObject({
  port: z.number().int().min(0).max(65535).optional(),
  timings: TimingsSchema.optional(),
  projectNumber: z.string().regex(/^\d+$/, 'must be digits').optional(),
  projectNumbers: z.record(z.string(), z.string().regex(/^\d+$/, 'must be digits')).optional(),
  notifyAttempts: z.number().int().min(1).max(20).optional(),
  notifyBackoffMs: z.number().min(0).max(60_000).optional(),
});

function configError(error: unknown): StreamgateError {
  const message =
    error instanceof z.ZodError
      ? error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
      : String(error);
  return new StreamgateError('CONFIG_INVALID', `Invalid Batch stand-in options: ${message}`, {
    kind: 'permanent',
    cause: error,
  });
}

/**
 * Starts an in-process gRPC `google.cloud.batch.v1.BatchService` on 127.0.0.1 that the real
 * `BatchServiceClient` can talk to.
 *
 * @example
 *   const batch = await startBatchStandIn({ timings: { queuedMs: 20, scheduledMs: 20, runningMs: 20 } });
 *   const client = new BatchServiceClient({ apiEndpoint: '127.0.0.1', port: batch.port,
 *     sslCreds: grpc.credentials.createInsecure() });
 *   // …
 *   await client.close();
 *   await batch.close();
 */
export async function startBatchStandIn(options: BatchStandInOptions = {}): Promise<BatchStandIn> {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) throw configError(parsed.error);
  let faults: FaultInjector;
  try {
    faults = new FaultInjector(options.faults ?? {});
  } catch (error) {
    throw configError(error);
  }
  const logger = options.logger ?? createLogger({ component: 'batch-standin' });
  const timers = new TimerSet();
  const numberFor = (project: string): string =>
    /^\d+$/.test(project)
      ? project
      : (options.projectNumbers?.[project] ?? options.projectNumber ?? DEFAULT_PROJECT_NUMBER);
  const backend = new BatchBackend({
    timings: options.timings ?? DEFAULT_TIMINGS,
    projectNumber: numberFor,
    now: options.now ?? Date.now,
    ...(options.notify ? { notify: options.notify } : {}),
    notifyAttempts: options.notifyAttempts ?? 4,
    notifyBackoffMs: options.notifyBackoffMs ?? 50,
    jobTypeAttribute: options.jobTypeAttribute ?? false,
    timers,
    logger,
  });
  const calls = new Map<BatchRpc, number>(BATCH_RPCS.map((rpc) => [rpc, 0]));
  let closed = false;

  /** Wraps a backend method: counting, latency, faults before/after the effect, status mapping. */
  const unary =
    (rpc: BatchRpc, handler: (request: unknown) => unknown): grpc.handleUnaryCall<unknown, unknown> =>
    (call, callback) => {
      calls.set(rpc, (calls.get(rpc) ?? 0) + 1);
      const decision = faults.decide(rpc);
      void (async () => {
        if (decision.delayMs > 0 && !(await timers.sleep(decision.delayMs))) {
          callback({ code: grpc.status.UNAVAILABLE, details: 'The Batch stand-in is shutting down.' });
          return;
        }
        const error = decision.error;
        if (error?.when === 'before') {
          callback({ code: error.status, details: error.message });
          return;
        }
        let response: unknown;
        try {
          response = handler(call.request);
        } catch (failure) {
          const status = toStatus(failure);
          if (status.code === grpc.status.INTERNAL)
            logger.error('batch stand-in: handler failed', { rpc, error: failure });
          callback(status);
          return;
        }
        if (error) callback({ code: error.status, details: error.message });
        else callback(null, response);
      })();
    };

  const unimplemented: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'Not implemented by the Batch stand-in.' });

  const handlers: Record<string, grpc.handleUnaryCall<unknown, unknown>> = {
    CreateJob: unary('createJob', (r) => backend.createJob(r)),
    GetJob: unary('getJob', (r) => backend.getJob(r)),
    ListJobs: unary('listJobs', (r) => backend.listJobs(r)),
    DeleteJob: unary('deleteJob', (r) => backend.deleteJob(r)),
    CancelJob: unary('cancelJob', (r) => backend.cancelJob(r)),
    GetTask: unary('getTask', (r) => backend.getTask(r)),
    ListTasks: unary('listTasks', (r) => backend.listTasks(r)),
  };
  const definition = batchServiceDefinition();
  // Any RPC a newer proto adds answers UNIMPLEMENTED rather than failing to register.
  for (const method of Object.keys(definition)) handlers[method] ??= unimplemented;

  const server = new grpc.Server();
  server.addService(definition, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  logger.debug('batch stand-in listening', { address: `127.0.0.1:${port}` });

  const findRecord = (name: string) => {
    const key = parseJobName(name);
    return key ? backend.store.find(key) : undefined;
  };

  return {
    address: `127.0.0.1:${port}`,
    port,
    jobs: () => backend.store.all().map((r) => structuredClone(r.job)),
    getJobByName: (name) => {
      const record = findRecord(name);
      return record ? structuredClone(record.job) : undefined;
    },
    tasks: (jobName) => structuredClone(findRecord(jobName)?.tasks ?? []),
    createCalls: () => calls.get('createJob') ?? 0,
    callCount: (rpc) => calls.get(rpc) ?? 0,
    advance: (jobName) => backend.advance(jobName),
    setFaults: (next) => {
      try {
        faults.set(next);
      } catch (error) {
        throw configError(error);
      }
    },
    failNext: (rpc, code, count = 1, when) => faults.failNext(rpc, code, count, when),
    notificationsIdle: () => backend.notificationsIdle(),
    notificationStats: () => backend.notificationStats(),
    pendingTimers: () => timers.size,
    async close() {
      if (closed) return;
      closed = true;
      timers.clearAll();
      await backend.close();
      server.forceShutdown();
    },
  };
}
