import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import { PROJECT, REGISTRY_HOST, startStack, testConfig, type Stack } from '../../helpers/stack-harness.js';

/**
 * How a launch over policy.maxJobsInFlight is answered: the webhook says 429 with Retry-After,
 * a pushed JobRequest is answered 429 so Pub/Sub redelivers it; never a 5xx, and no job, no
 * request.rejected.
 */
const IMAGE = `${REGISTRY_HOST}/${PROJECT}/apps/bounded:v1`;

describe('the answers to a launch over maxJobsInFlight', () => {
  let stack: Stack;
  beforeAll(async () => {
    const config = testConfig();
    config.policy = { ...config.policy, maxJobsInFlight: 1 };
    stack = await startStack({ batch: { timings: 'manual' }, config });
    await new Pusher(stack.standIns.registry.url).pushImage(
      `${PROJECT}/apps/bounded`,
      buildImage([await makeLayer({ 'bounded.txt': 'bounded' })]),
      'v1',
    );
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const request = (key: string) => ({ apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: key });

  it('webhook: 429 with Retry-After and the reason; Pub/Sub push: 429; the same key launches once a job ends', async () => {
    expect((await stack.webhook('/jobs', request('first'))).status).toBe(202);

    const refused = await stack.webhook('/jobs', request('second'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem.code).toBe('JOBS_IN_FLIGHT_LIMIT');
    expect(problem.detail).toContain('policy.maxJobsInFlight is 1');

    const pushed = await stack.deliver(
      'onJobRequest',
      { data: JSON.stringify(request('third')), messageId: 'm-3' },
      'push',
    );
    expect(pushed.status).toBe(429);
    expect(stack.standIns.batch.jobs()).toHaveLength(1);
    expect(stack.events(EVENT_TYPES.rejected)).toEqual([]);

    const [job] = stack.standIns.batch.jobs();
    for (let step = 0; step < 3; step++) stack.standIns.batch.advance(job!.name!);
    expect((await stack.webhook('/jobs', request('second'))).status).toBe(202);
    expect(stack.standIns.batch.jobs()).toHaveLength(2);
  });
});
