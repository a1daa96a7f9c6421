import { inFlightBounds, inFlightRefusal, type InFlightBound } from '../core/in-flight.js';
import type { BatchJobPlan } from '../core/job-builder.js';
import type { JobSnapshot } from '../core/ports.js';
import type { LaunchRequest } from '../core/request.js';
import type { PipelineDeps } from './deps.js';

/**
 * Bounded creates in one region, one at a time in this process: the count and the create of one
 * launch cannot interleave with another's, so concurrent deliveries to one instance never
 * overshoot a bound. Only the queue lives here; the counts are always Batch's.
 */
const regionQueues = new Map<string, Promise<unknown>>();

function serially<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = regionQueues.get(key) ?? Promise.resolve();
  const run = before.then(work, work);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  regionQueues.set(key, tail);
  // The last one out removes the queue, so the map holds only regions with creates in progress.
  void tail.then(() => {
    if (regionQueues.get(key) === tail) regionQueues.delete(key);
  });
  return run;
}

/**
 * Creates the planned job unless a maxJobsInFlight bound of its rule or of the policy is reached
 * in the job's region; then throws a transient JOBS_IN_FLIGHT_LIMIT (nothing is created, the
 * caller retries later: Pub/Sub redelivers, the webhook answers 429).
 *
 * @example const { job, created } = await createWithinBounds(request, planned.plan, deps);
 */
export async function createWithinBounds(
  request: Pick<LaunchRequest, 'rule'>,
  plan: BatchJobPlan,
  deps: Pick<PipelineDeps, 'batch' | 'config'>,
): Promise<{ job: JobSnapshot; created: boolean }> {
  const bounds = inFlightBounds(request.rule, deps.config);
  if (bounds.length === 0) return deps.batch.createJob(plan);
  // A first count outside the queue: while a scope is full, the many deliveries waiting for a
  // place are refused in parallel and leave the queue to launches that may fit. Counts only grow
  // by creates, which all pass the count in the queue, so this refuses nothing that would fit.
  await refuseOverBound(bounds, plan.parent, deps);
  return serially(plan.parent, async () => {
    await refuseOverBound(bounds, plan.parent, deps);
    return deps.batch.createJob(plan);
  });
}

/** Throws JOBS_IN_FLIGHT_LIMIT for the first bound Batch shows reached in `parent`. */
async function refuseOverBound(
  bounds: readonly InFlightBound[],
  parent: string,
  deps: Pick<PipelineDeps, 'batch'>,
): Promise<void> {
  for (const bound of bounds) {
    const count = await deps.batch.countJobsInFlight(parent, bound.label, bound.max);
    if (count >= bound.max) throw inFlightRefusal(bound, parent.slice(parent.lastIndexOf('/') + 1));
  }
}
