/**
 * Logs that group per request, through functions-framework and the stand-ins: every line a
 * request causes carries its trace (`logging.googleapis.com/trace`, from `traceparent` or
 * `X-Cloud-Trace-Context` on HTTP, from the Pub/Sub message's trace attributes) and the labels
 * `streamgate-correlation` (the value the Batch job's own label holds) and, once known,
 * `streamgate-job`. Bad trace values are ignored, never refused.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { pushAppImages } from '../../helpers/app-images.js';
import { PROJECT, REGISTRY_HOST, TOPICS, startStack, type Stack } from '../../helpers/stack-harness.js';

const IMAGE = `${REGISTRY_HOST}/${PROJECT}/apps/web:v1`;
const NOTIFICATIONS = `projects/${PROJECT}/topics/${TOPICS.notifications}`;
const TRACE_FIELD = 'logging.googleapis.com/trace';
const LABELS_FIELD = 'logging.googleapis.com/labels';
type Line = Record<string, unknown> & { message: string; [LABELS_FIELD]?: Record<string, string> };

describe('log lines grouped per request', () => {
  let stack: Stack;
  const lines: Line[] = [];
  const level = process.env.STREAMGATE_LOG_LEVEL;

  beforeAll(async () => {
    process.env.STREAMGATE_LOG_LEVEL = 'INFO';
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation((chunk, ...rest) => {
        const text = String(chunk);
        if (!text.startsWith('{"severity"')) return write(chunk, ...(rest as []));
        for (const line of text.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Line);
        return true;
      });
    }
    stack = await startStack();
    await pushAppImages(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    vi.restoreAllMocks();
    if (level === undefined) delete process.env.STREAMGATE_LOG_LEVEL;
    else process.env.STREAMGATE_LOG_LEVEL = level;
  });

  const labelled = (correlation: string) =>
    lines.filter((line) => line[LABELS_FIELD]?.['streamgate-correlation'] === correlation);
  const hex = (c: string, n: number) => c.repeat(n);

  it('webhook: traceparent traces every line; the correlation and job labels match the job', async () => {
    const trace = hex('a', 32);
    const res = await stack.webhook(
      '/jobs',
      { apiVersion: 'streamgate/v1', image: IMAGE },
      { headers: { traceparent: `00-${trace}-${hex('b', 16)}-01`, 'X-Correlation-Id': 'Build-42/Main' } },
    );
    expect(res.status).toBe(202);
    const { jobId, jobName } = (await res.json()) as { jobId: string; jobName: string };
    const job = stack.standIns.batch.getJobByName(jobName);
    const correlation = job?.labels?.['streamgate-correlation'];
    expect(correlation).toBe('build-42_main');
    const mine = labelled(correlation!);
    expect(mine.map((line) => line.message)).toContain('job launched');
    for (const line of mine) {
      expect(line[TRACE_FIELD]).toBe(`projects/${PROJECT}/traces/${trace}`);
      expect(line['logging.googleapis.com/spanId']).toBe(hex('b', 16));
    }
    const launched = mine.find((line) => line.message === 'job launched')!;
    expect(launched[LABELS_FIELD]).toEqual({
      'streamgate-correlation': correlation,
      'streamgate-job': jobId,
    });
    expect(launched.launchLatencyMs).toEqual(expect.any(Number));

    // The completion (another function, another delivery) carries the same labels.
    const note = await stack.standIns.pubsub.waitFor(
      NOTIFICATIONS,
      (m) =>
        m.attributes.NewJobState === 'SUCCEEDED' && m.attributes.JobName?.endsWith(`/jobs/${jobId}`) === true,
      20_000,
    );
    const delivered = await stack.deliver(
      'onJobStateChanged',
      { data: note.data, attributes: note.attributes, messageId: note.messageId },
      'push',
    );
    expect(delivered.status).toBe(204);
    const completed = labelled(correlation!).find((line) => line.message === 'job completed');
    expect(completed?.[LABELS_FIELD]).toEqual({
      'streamgate-correlation': correlation,
      'streamgate-job': jobId,
    });
  }, 60_000);

  it('webhook: X-Cloud-Trace-Context when there is no traceparent, and it names the correlation id', async () => {
    const trace = hex('c', 32);
    const res = await stack.webhook(
      '/jobs',
      { apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: 'cloud-trace-1' },
      { headers: { 'X-Cloud-Trace-Context': `${trace}/12345;o=1` } },
    );
    expect(res.status).toBe(202);
    expect(((await res.json()) as { correlationId: string }).correlationId).toBe(trace);
    const mine = labelled(trace);
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) {
      expect(line[TRACE_FIELD]).toBe(`projects/${PROJECT}/traces/${trace}`);
      expect(line['logging.googleapis.com/spanId']).toBe((12345).toString(16).padStart(16, '0'));
    }
  });

  it('webhook: bad trace headers are ignored, and the request goes through', async () => {
    const res = await stack.webhook(
      '/jobs',
      { apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: 'bad-trace-1' },
      {
        headers: {
          traceparent: `00-${hex('0', 32)}-${hex('b', 16)}-01`,
          'X-Cloud-Trace-Context': 'x'.repeat(600),
          'X-Correlation-Id': 'bad-trace-corr',
        },
      },
    );
    expect(res.status).toBe(202);
    const mine = labelled('bad-trace-corr');
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line).not.toHaveProperty([TRACE_FIELD]);
  });

  it('Pub/Sub: the message trace attribute wins over the push request headers', async () => {
    const trace = hex('d', 32);
    const res = await stack.deliver(
      'onJobRequest',
      {
        data: JSON.stringify({ apiVersion: 'streamgate/v1', image: IMAGE }),
        attributes: { googclient_traceparent: `00-${trace}-${hex('e', 16)}-01` },
        messageId: 'traced-msg-1',
      },
      'push',
    );
    expect(res.status).toBe(204);
    const mine = labelled('traced-msg-1');
    expect(mine.map((line) => line.message)).toContain('job launched');
    for (const line of mine) expect(line[TRACE_FIELD]).toBe(`projects/${PROJECT}/traces/${trace}`);
    expect(stack.events(EVENT_TYPES.launched).some((e) => e.data.correlationId === 'traced-msg-1')).toBe(
      true,
    );
  });

  it('Pub/Sub: without trace attributes, the push request’s X-Cloud-Trace-Context', async () => {
    const trace = hex('f', 32);
    const message = {
      data: Buffer.from(JSON.stringify({ apiVersion: 'streamgate/v1', image: IMAGE })).toString('base64'),
      attributes: { googclient_traceparent: 'not a traceparent' },
      messageId: 'traced-msg-2',
    };
    const res = await stack.post(
      'onJobRequest',
      `/projects/${PROJECT}/topics/${TOPICS.requests}`,
      JSON.stringify({ message, subscription: `projects/${PROJECT}/subscriptions/s` }),
      { 'Content-Type': 'application/json', 'X-Cloud-Trace-Context': `${trace}/1;o=1` },
    );
    expect(res.status).toBe(204);
    const mine = labelled('traced-msg-2');
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line[TRACE_FIELD]).toBe(`projects/${PROJECT}/traces/${trace}`);
  });
});
