import { describe, expect, it } from 'vitest';
import type { StreamgateConfigInput } from '../../../shared/core/config.js';
import { isStreamgateError } from '../../../shared/core/errors.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { toLaunchRequest, type LaunchRequest } from '../../../shared/core/request.js';
import { launch } from '../../../shared/pipeline/launch.js';
import { TEST_DIGEST, TEST_MANIFEST, memoryPorts } from '../../helpers/memory-ports.js';

/** maxJobsInFlight in launch(): the count is Batch's, per rule and for the policy, per region. */

const IMAGE = `us-central1-docker.pkg.dev/demo-project/apps/web@${TEST_DIGEST}`;
const RULE = { name: 'apps', image: 'us-central1-docker.pkg.dev/demo-project/apps/**' };

const request = (key: string, rule?: string): LaunchRequest =>
  toLaunchRequest(
    { apiVersion: 'streamgate/v1', image: IMAGE },
    { source: rule ? 'push' : 'pubsub', idempotencyKey: key, correlationId: key, ...(rule ? { rule } : {}) },
  );

function ports(config: Partial<StreamgateConfigInput>) {
  return memoryPorts({ config, document: TEST_MANIFEST });
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isStreamgateError(error)) throw new Error(`expected a StreamgateError, got ${String(error)}`);
  return error;
}

describe('maxJobsInFlight', () => {
  it("refuses a rule's launch transiently once that many of its jobs are in flight, and launches once one ends", async () => {
    const p = ports({ rules: [{ ...RULE, maxJobsInFlight: 2 }] });
    await launch(request('k1', 'apps'), p.deps);
    await launch(request('k2', 'apps'), p.deps);
    const error = await refusal(launch(request('k3', 'apps'), p.deps));
    expect(error.code).toBe('JOBS_IN_FLIGHT_LIMIT');
    expect(error.transient).toBe(true);
    expect(error.message).toContain('rule apps');
    expect(p.batch.jobs.size).toBe(2);
    // A refusal is retried, not rejected: no request.rejected event.
    expect(p.events.types()).toEqual([EVENT_TYPES.launched, EVENT_TYPES.launched]);

    const [first] = [...p.batch.jobs.values()];
    first!.state = 'SUCCEEDED';
    const outcome = await launch(request('k3', 'apps'), p.deps);
    expect(outcome).toMatchObject({ status: 'launched', created: true });
    expect(p.batch.jobs.size).toBe(3);
  });

  it("counts only the rule's own jobs: a request without the rule is not held by it", async () => {
    const p = ports({ rules: [{ ...RULE, maxJobsInFlight: 1 }] });
    await launch(request('k1', 'apps'), p.deps);
    expect(await launch(request('k2'), p.deps)).toMatchObject({ status: 'launched', created: true });
    expect((await refusal(launch(request('k3', 'apps'), p.deps))).code).toBe('JOBS_IN_FLIGHT_LIMIT');
  });

  it("bounds every streamgate job with the policy's maxJobsInFlight", async () => {
    const p = ports({ rules: [RULE], policy: { maxJobsInFlight: 2 } });
    await launch(request('k1', 'apps'), p.deps);
    await launch(request('k2'), p.deps);
    const error = await refusal(launch(request('k3'), p.deps));
    expect(error.message).toContain('policy.maxJobsInFlight is 2');
  });

  it('answers a repeat of a launched key even at the bound (the job exists; nothing is created)', async () => {
    const p = ports({ rules: [{ ...RULE, maxJobsInFlight: 1 }] });
    await launch(request('k1', 'apps'), p.deps);
    const again = await launch(request('k1', 'apps'), p.deps);
    expect(again).toMatchObject({ status: 'launched', created: false });
  });

  it('reads no count when neither the rule nor the policy sets a bound', async () => {
    const p = ports({ rules: [RULE] });
    await launch(request('k1', 'apps'), p.deps);
    expect(p.batch.calls.countJobsInFlight).toBe(0);
  });

  it("labels a rule's jobs with the rule, the scope its bound counts", async () => {
    const p = ports({ rules: [RULE] });
    await launch(request('k1', 'apps'), p.deps);
    expect([...p.batch.jobs.values()][0]!.labels['streamgate-rule']).toBe('apps');
  });
});
