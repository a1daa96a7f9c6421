import type { Parameters as FcParameters } from 'fast-check';

/**
 * How many cases each fuzz property runs, and how to replay a failure.
 *
 * - `STREAMGATE_FUZZ_SCALE` multiplies every case count (`npm run fuzz` sets 100).
 * - `STREAMGATE_FUZZ_SEED` (+ optional `STREAMGATE_FUZZ_PATH`) replays the run fast-check printed
 *   on failure: `STREAMGATE_FUZZ_SEED=-1234 STREAMGATE_FUZZ_PATH="12:3:0" npx vitest run test/fuzz/x.test.ts`.
 *
 * Test files read the environment here, never in `shared/`.
 */
const FUZZ_SCALE = positiveNumber(process.env.STREAMGATE_FUZZ_SCALE, 1);

/** At least this many cases per entry point in `npm test` (the brief's floor). */
const BASE_RUNS = 2_000;

/** `base * STREAMGATE_FUZZ_SCALE`, rounded, at least 1. */
function numRuns(base: number = BASE_RUNS): number {
  return Math.max(1, Math.round(base * FUZZ_SCALE));
}

/**
 * fast-check parameters for one property: the scaled case count, plus the replay seed/path from
 * the environment when set. `verbose: 1` keeps the counterexample and its seed/path in the failure.
 *
 * @example fc.assert(fc.property(arb, check), fuzzParameters(2_000));
 */
export function fuzzParameters<T>(base: number = BASE_RUNS): FcParameters<T> {
  const parameters: FcParameters<T> = { numRuns: numRuns(base), verbose: 1 };
  const seed = process.env.STREAMGATE_FUZZ_SEED;
  if (seed !== undefined && seed !== '') {
    const parsed = Number(seed);
    if (!Number.isInteger(parsed)) throw new Error(`STREAMGATE_FUZZ_SEED must be an integer, got ${seed}`);
    parameters.seed = parsed;
    const path = process.env.STREAMGATE_FUZZ_PATH;
    if (path !== undefined && path !== '') parameters.path = path;
  }
  return parameters;
}

/**
 * How much longer than on an idle machine a property may take: the timeout only stops a stuck run,
 * and a busy 2-core machine (the suite's own workers plus other work) runs these several times
 * slower.
 */
const LOAD_MARGIN = 4;

/**
 * Per-test timeout: `baseMs` (an idle machine's generous bound) times the load margin, growing with
 * the scale (a scale-100 run takes minutes, not seconds).
 *
 * @example it('…', async () => { … }, fuzzTimeoutMs(60_000)); // 240 s at scale 1
 */
export function fuzzTimeoutMs(baseMs: number): number {
  return Math.round(baseMs * LOAD_MARGIN * Math.max(1, FUZZ_SCALE));
}

function positiveNumber(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`STREAMGATE_FUZZ_SCALE must be a positive number, got ${text}`);
  }
  return value;
}
