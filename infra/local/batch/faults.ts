import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';

/** BatchService RPCs, named as the Node client's methods. */
export const BATCH_RPCS = [
  'createJob',
  'getJob',
  'listJobs',
  'deleteJob',
  'cancelJob',
  'getTask',
  'listTasks',
] as const;
export type BatchRpc = (typeof BATCH_RPCS)[number];

/** gRPC codes a fault can answer with. */
const FAULT_CODES = [
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
  'ABORTED',
  'UNKNOWN',
  'CANCELLED',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'FAILED_PRECONDITION',
  'NOT_FOUND',
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];

/** `before`: the RPC has no effect. `after`: it took effect (e.g. the job exists), then fails. */
export type FaultTiming = 'before' | 'after';

const rate = z.number().min(0).max(1);
const ErrorRatesSchema = z
  .partialRecord(z.enum(FAULT_CODES), rate)
  .refine((rates) => Object.values(rates).reduce<number>((a, b) => a + (b ?? 0), 0) <= 1, {
    message: 'error rates of one RPC must add up to at most 1',
  });
export type ErrorRates = z.infer<typeof ErrorRatesSchema>;

/**
 * Fault settings. Per RPC: probability of each error code. Each code is answered `before` the
 * RPC takes effect unless `errorTiming` says `after`.
 *
 * @example
 *   { createJob: { UNAVAILABLE: 0.2, DEADLINE_EXCEEDED: 0.05 },
 *     errorTiming: { UNAVAILABLE: 'after', DEADLINE_EXCEEDED: 'after' },
 *     latencyMs: { min: 5, max: 20 }, spikeRate: 0.01, spikeMs: 500, seed: 42 }
 */
const BatchFaultsSchema = z.strictObject({
  createJob: ErrorRatesSchema.optional(),
  getJob: ErrorRatesSchema.optional(),
  listJobs: ErrorRatesSchema.optional(),
  deleteJob: ErrorRatesSchema.optional(),
  cancelJob: ErrorRatesSchema.optional(),
  getTask: ErrorRatesSchema.optional(),
  listTasks: ErrorRatesSchema.optional(),
  errorTiming: z.partialRecord(z.enum(FAULT_CODES), z.enum(['before', 'after'])).optional(),
  latencyMs: z
    .object({ min: z.number().min(0), max: z.number().min(0) })
    .refine((l) => l.min <= l.max, { message: 'latencyMs.min must not exceed latencyMs.max' })
    .optional(),
  spikeRate: rate.optional(),
  spikeMs: z.number().min(0).optional(),
  /** Seeds the PRNG so a run's faults repeat exactly. */
  seed: z.number().int().optional(),
});
export type BatchFaults = z.infer<typeof BatchFaultsSchema>;

export interface FaultDecision {
  delayMs: number;
  error?: { code: FaultCode; status: grpc.status; when: FaultTiming; message: string };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface OneShot {
  code: FaultCode;
  remaining: number;
  when?: FaultTiming;
}

/**
 * Decides, per call, the added latency and whether to fail. One-shot failures (`failNext`) come
 * first, then the random rates.
 */
export class FaultInjector {
  private faults: BatchFaults = {};
  private random: () => number = mulberry32(1);
  private readonly oneShots = new Map<BatchRpc, OneShot[]>();

  constructor(faults: unknown = {}) {
    this.set(faults);
  }

  /** Replaces the settings (validated) and reseeds the PRNG. Throws a ZodError when invalid. */
  set(faults: unknown): void {
    this.faults = BatchFaultsSchema.parse(faults ?? {});
    // Without a seed, runs differ; with one, they repeat.
    this.random = mulberry32(this.faults.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** The next `count` calls of `rpc` fail with `code` (timing from `when`, else errorTiming, else before). */
  failNext(rpc: BatchRpc, code: FaultCode, count = 1, when?: FaultTiming): void {
    const queue = this.oneShots.get(rpc) ?? [];
    queue.push({ code, remaining: count, ...(when ? { when } : {}) });
    this.oneShots.set(rpc, queue);
  }

  decide(rpc: BatchRpc): FaultDecision {
    const delayMs = this.latency();
    const oneShot = this.takeOneShot(rpc);
    const code = oneShot?.code ?? this.drawCode(this.faults[rpc]);
    if (!code) return { delayMs };
    const when = oneShot?.when ?? this.faults.errorTiming?.[code] ?? 'before';
    return {
      delayMs,
      error: {
        code,
        status: grpc.status[code],
        when,
        message: `Injected fault ${code} on ${rpc} (${when === 'after' ? 'after' : 'before'} the call took effect).`,
      },
    };
  }

  private takeOneShot(rpc: BatchRpc): OneShot | undefined {
    const queue = this.oneShots.get(rpc);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head;
  }

  private drawCode(rates: ErrorRates | undefined): FaultCode | undefined {
    if (!rates) return undefined;
    const roll = this.random();
    let edge = 0;
    for (const code of FAULT_CODES) {
      edge += rates[code] ?? 0;
      if (roll < edge) return code;
    }
    return undefined;
  }

  private latency(): number {
    const { latencyMs, spikeRate, spikeMs } = this.faults;
    let delay = 0;
    if (latencyMs) delay += latencyMs.min + this.random() * (latencyMs.max - latencyMs.min);
    if (spikeRate && spikeMs && this.random() < spikeRate) delay += spikeMs;
    return Math.round(delay);
  }
}
