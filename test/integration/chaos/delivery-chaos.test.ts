/**
 * At-least-once in, exactly-once jobs out: N requests over all three entry points, duplicated and
 * shuffled, while Batch fails 25% of CreateJob calls after creating the job. Every request must end
 * as exactly one job with exactly one `job.launched` ce-id; nothing lost, nothing doubled. Keys
 * also sent with a conflicting request still make one job, and the loser one IDEMPOTENCY_CONFLICT.
 *
 * N = 200 here; STREAMGATE_CHAOS_N=1000 (or `npx tsx bench/chaos.ts`) for the full size.
 * STREAMGATE_CHAOS_SEED replays a run (the seed drives shuffling, duplicates and faults).
 */
import { describe, expect, it } from 'vitest';
import { formatChaos, runDeliveryChaos } from './delivery-chaos.js';

const N = Number(process.env.STREAMGATE_CHAOS_N ?? 200);
const SEED = Number(process.env.STREAMGATE_CHAOS_SEED ?? 20260731);

describe('delivery chaos', () => {
  it(
    `turns ${N} duplicated, shuffled requests under Batch faults into exactly ${N} jobs`,
    async () => {
      // The deadline only stops a run that would never end; a busy 2-core machine takes ~4x longer
      // than an idle one, so it is far beyond that (a delivery still pending then counts as lost).
      const result = await runDeliveryChaos({ n: N, seed: SEED, deadlineMs: Math.max(240_000, N * 1_000) });
      process.stdout.write(`${formatChaos(result)}\n`);

      expect(result.lost).toBe(0);
      expect(result.jobs).toBe(N);
      expect(result.distinctJobIds).toBe(N);
      expect(result.unexpectedJobIds).toEqual([]);
      expect(result.missingJobIds).toEqual([]);
      expect(result.distinctLaunchedIds).toBe(N);
      expect(result.missingLaunchedIds).toEqual([]);
      // Each key sent with two different requests: one job, and one request.rejected
      // (IDEMPOTENCY_CONFLICT) for whichever request landed second, however often it was delivered.
      expect(result.conflictPairs).toBeGreaterThan(0);
      expect(result.distinctRejectedIds).toBe(result.conflictPairs);
      // The chaos really happened: duplicates were delivered and faults forced redeliveries.
      expect(result.duplicates).toBeGreaterThan(N * 0.2);
      expect(result.retries).toBeGreaterThan(0);
      expect(result.createJobCalls).toBeGreaterThan(N);
    },
    Math.max(300_000, N * 1_200),
  );
});
