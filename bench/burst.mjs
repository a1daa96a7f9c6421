/* global performance, setTimeout */
/**
 * One burst: every event sent exactly once, `concurrency` at a time, to one running function, then
 * the wait until Batch holds a job for each. Wall time runs from the first send until the last job
 * exists; CPU is the function process's own (from /proc).
 */
import { runLoad } from './load.mjs';
import { cpuMs, peakRssMiB } from './process.mjs';

const POLL_MS = 50;
/** How long after the last answer the jobs may take to appear (ours exist before their 2xx). */
const SETTLE_MS = 15_000;

/**
 * Sends `events` (each `{ path, headers, body }`) to `fn` and returns the burst's measurements.
 * `jobs()` reports `{ jobs, duplicates }` of this burst as Batch holds them; the answers may take
 * `timeoutMs`, the jobs SETTLE_MS more, and then whatever exists is reported.
 */
export async function runBurst({ fn, events, concurrency, jobs, timeoutMs = 120_000 }) {
  const cpuBefore = cpuMs(fn.pid);
  const started = performance.now();
  const load = await runLoad({
    port: fn.port,
    concurrency,
    durationMs: timeoutMs,
    maxRequests: events.length,
    makeRequest: (i) => events[i],
  });
  const answeredMs = performance.now() - started;
  let held = jobs();
  while (held.jobs < events.length && performance.now() - started < answeredMs + SETTLE_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    held = jobs();
  }
  const wallMs = performance.now() - started;
  return {
    events: events.length,
    wallMs,
    answeredMs,
    cpuMsPerEvent: (cpuMs(fn.pid) - cpuBefore) / events.length,
    peakRssMiB: peakRssMiB(fn.pid),
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    errors: load.errors,
    jobs: held.jobs,
    duplicates: held.duplicates,
  };
}
