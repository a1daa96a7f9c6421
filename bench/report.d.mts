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
  /** The process's own CPU (ms) until its first answer. */
  firstEventCpuMs?: number[];
}

/** One side of a burst, as bench/burst.mjs measures it. */
export interface RawBurstRun {
  events: number;
  wallMs: number;
  answeredMs: number;
  cpuMsPerEvent: number;
  peakRssMiB: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errors: number;
  jobs: number;
  duplicates: number;
}

export interface RawMeasurements {
  helloWorld: RawColdStarts & { loads?: Record<string, LoadSummary> };
  /** The fair floors: the same calls as the function's event, built by hand. */
  floors: Record<string, RawColdStarts>;
  /** The floors that only construct the clients. */
  clientsOnlyFloors?: Record<string, RawColdStarts>;
  functions: Record<
    string,
    RawColdStarts & {
      loads?: Record<string, LoadSummary & { peakRssMiB?: number }>;
      cpuMsPerEvent?: number;
      peakRssMiB?: number;
    }
  >;
  burst?: { ours: RawBurstRun; floor: RawBurstRun };
}

export interface ColdMedians {
  listenMs: number | null;
  firstEventMs: number | null;
  firstEventCpuMs: number | null;
}

export interface BurstRunReport {
  wallMs: number | null;
  answeredMs: number | null;
  eventsPerSec: number | null;
  cpuMsPerEvent: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  peakRssMiB: number | null;
  errors: number;
  jobs: number;
  duplicates: number;
}

export interface FunctionReport {
  listenMs: number | null;
  coldStartRatio: number | null;
  firstEventMs: number | null;
  firstEventRatio: number | null;
  firstEventRatioClientsOnly: number | null;
  firstEventCpuMs: number | null;
  firstEventCpuRatio: number | null;
  rps: number | null;
  rpsRatio: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuMsPerEvent: number | null;
  peakRssMiB: number | null;
  peakRssMiBC1: number | null;
  loads: Record<string, LoadSummary & { rpsRatio: number | null; peakRssMiB?: number | null }>;
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
  };
  floors: Record<string, { calls: ColdMedians; clientsOnly: ColdMedians }>;
  functions: Record<string, FunctionReport>;
  burst?: {
    events: number;
    concurrency: number;
    ours: BurstRunReport;
    floor: BurstRunReport;
    ratio: number | null;
  };
}

export interface GoalRow {
  goal: string;
  function: string;
  value: number | null;
  limit: number;
  pass: boolean;
  /** The goal as printed, e.g. `<= 1.1`. */
  want: string;
}

export const GOALS: Readonly<{
  coldStartRatio: number;
  firstEventRatio: number;
  peakRssMiB: number;
  cpuMsPerPushEvent: number;
  burstRatio: number;
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
