/** Types of bench/report.mjs (plain JS so `npm run bench` needs no loader). */

export interface LoadSummary {
  count: number;
  errors: number;
  rps: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface RawColdStarts {
  listenMs: number[];
  firstEventMs: number[];
}

export interface RawMeasurements {
  helloWorld: RawColdStarts & { loads?: Record<string, LoadSummary> };
  floors: Record<string, RawColdStarts>;
  functions: Record<
    string,
    RawColdStarts & { loads?: Record<string, LoadSummary>; cpuMsPerEvent?: number; peakRssMiB?: number }
  >;
}

export interface FunctionReport {
  listenMs: number | null;
  coldStartRatio: number | null;
  firstEventMs: number | null;
  firstEventRatio: number | null;
  rps: number | null;
  rpsRatio: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuMsPerEvent: number | null;
  peakRssMiB: number | null;
  loads: Record<string, LoadSummary & { rpsRatio: number | null }>;
}

export interface BenchReport {
  baseline: {
    helloWorld: {
      listenMs: number | null;
      firstEventMs: number | null;
      rps: number | null;
      p50Ms: number | null;
      p99Ms: number | null;
      loads: Record<string, LoadSummary>;
    };
    floors: Record<string, { listenMs: number | null; firstEventMs: number | null }>;
  };
  functions: Record<string, FunctionReport>;
}

export interface GoalRow {
  goal: string;
  function: string;
  value: number | null;
  limit: number;
  pass: boolean;
}

export const GOALS: Readonly<{
  coldStartRatio: number;
  firstEventRatio: number;
  peakRssMiB: number;
  cpuMsPerPushEvent: number;
}>;
export const HEADLINE_CONCURRENCY: number;
export function median(values: readonly number[]): number | null;
export function percentile(values: readonly number[], p: number): number | null;
export function ratio(ours: number | null | undefined, base: number | null | undefined): number | null;
export function round(value: number | null | undefined, digits?: number): number | null;
export function summarizeLoad(input: {
  latenciesMs: readonly number[];
  wallMs: number;
  errors?: number;
}): LoadSummary;
export function buildReport(raw: RawMeasurements): BenchReport;
export function evaluateGoals(report: BenchReport): GoalRow[];
export function formatReport(report: BenchReport): string;
export function table(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string;
