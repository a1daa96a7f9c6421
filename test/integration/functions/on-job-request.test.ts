import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';
import { PROJECT, REGISTRY_HOST, startStack, type Stack } from '../../helpers/stack-harness.js';

const IMAGE = `${REGISTRY_HOST}/${PROJECT}/apps/batch-tool:v1`;

describe('onJobRequest through functions-framework', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await new Pusher(stack.standIns.registry.url).pushImage(
      `${PROJECT}/apps/batch-tool`,
      buildImage([await makeLayer({ 'tool.txt': 'tool' })]),
      'v1',
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  const jobRequest = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      apiVersion: 'streamgate/v1',
      image: IMAGE,
      container: { commands: ['run'] },
      ...fields,
    });
  const launchedFor = (key: string) =>
    stack.events(EVENT_TYPES.launched).filter((e) => e.data.idempotencyKey === key);
  const jobsNamed = (name: string) => stack.standIns.batch.jobs().filter((j) => j.name === name);

  it('launches a job from a message, once per message id', async () => {
    for (const how of ['structured', 'push', 'binary'] as const) {
      const res = await stack.deliver('onJobRequest', { data: jobRequest(), messageId: 'req-msg-1' }, how);
      expect(res.status).toBe(204);
    }
    const events = launchedFor('req-msg-1');
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.data.created)).toEqual([true, false, false]);
    expect(events[0]!.data).toMatchObject({
      source: 'pubsub',
      correlationId: 'req-msg-1',
      region: 'us-central1',
    });
    expect(jobsNamed(events[0]!.data.jobName)).toHaveLength(1);
  });

  it('uses the request idempotencyKey across different messages', async () => {
    const body = jobRequest({ idempotencyKey: 'nightly-2026-07-31', correlationId: 'nightly' });
    expect((await stack.deliver('onJobRequest', { data: body, messageId: 'm-a' })).status).toBe(204);
    expect((await stack.deliver('onJobRequest', { data: body, messageId: 'm-b' })).status).toBe(204);
    const events = launchedFor('nightly-2026-07-31');
    expect(events).toHaveLength(2);
    expect(events[0]!.data.jobName).toBe(events[1]!.data.jobName);
    expect(events.every((e) => e.data.correlationId === 'nightly')).toBe(true);
    expect(jobsNamed(events[0]!.data.jobName)).toHaveLength(1);
  });

  it('rejects an invalid request with the zod paths and launches nothing', async () => {
    const before = stack.standIns.batch.createCalls();
    const res = await stack.deliver('onJobRequest', {
      data: jobRequest({ taskCount: 0, color: 'blue' }),
      messageId: 'bad-req-1',
    });
    expect(res.status).toBe(204);
    expect(stack.standIns.batch.createCalls()).toBe(before);
    const [rejected] = stack.events(EVENT_TYPES.rejected).filter((e) => e.data.correlationId === 'bad-req-1');
    expect(rejected?.data.source).toBe('pubsub');
    expect(rejected?.data.reasons[0]?.code).toBe('INVALID_REQUEST');
    expect(rejected?.data.reasons[0]?.message).toContain('taskCount');
    expect(rejected?.data.reasons[0]?.message).toContain('color');
  });

  it('throws (500) while Batch is unavailable, then makes exactly one job on redelivery', async () => {
    const message = { data: jobRequest(), messageId: 'flaky-1' };
    stack.standIns.batch.failNext('createJob', 'UNAVAILABLE', 3);
    const failed = await stack.deliver('onJobRequest', message);
    expect(failed.status).toBe(500);
    expect(launchedFor('flaky-1')).toHaveLength(0);

    const retried = await stack.deliver('onJobRequest', message);
    expect(retried.status).toBe(204);
    const [event] = launchedFor('flaky-1');
    expect(event?.data.created).toBe(true);
    expect(jobsNamed(event!.data.jobName)).toHaveLength(1);
  });

  it('throws (500) when Batch took the job but the answer was lost, and reports it on redelivery', async () => {
    const message = { data: jobRequest(), messageId: 'lost-answer-1' };
    // The job is created, then the call fails: the retry must find it, not make a second one.
    stack.standIns.batch.failNext('createJob', 'UNAVAILABLE', 3, 'after');
    expect((await stack.deliver('onJobRequest', message)).status).toBe(500);
    expect((await stack.deliver('onJobRequest', message)).status).toBe(204);
    const events = launchedFor('lost-answer-1');
    expect(events).toHaveLength(1);
    expect(jobsNamed(events[0]!.data.jobName)).toHaveLength(1);
  });
});
