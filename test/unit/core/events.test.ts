import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { buildEvent, fromPubsubMessage, toPubsubMessage } from '../../../shared/core/cloudevent.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import {
  EVENT_TYPES,
  type JobCompletedData,
  type JobLaunchedData,
  type RequestRejectedData,
} from '../../../shared/core/events.js';
import { completionEventId, launchEventId } from '../../../shared/core/ids.js';
import { summarizeRequest } from '../../../shared/core/request-summary.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const JOB = 'projects/demo-project/locations/us-central1/jobs/sg-webhook-abcdefghijklmnopqrst';
const CONTEXT = { source: '//streamgate/projects/demo-project', time: '2026-11-27T20:50:22.838Z' };

const launched: JobLaunchedData = {
  jobName: JOB,
  jobUid: 'sg-webhook-abcdef-1234-5678',
  jobId: 'sg-webhook-abcdefghijklmnopqrst',
  region: 'us-central1',
  image: {
    reference: 'us-central1-docker.pkg.dev/demo-project/apps/web:1',
    digest: DIGEST,
    uri: `us-central1-docker.pkg.dev/demo-project/apps/web@${DIGEST}`,
  },
  streaming: {
    enabled: false,
    mode: 'auto',
    verdict: 'ineligible',
    reasons: [{ code: 'EMPTY_LAYER', message: 'Layer 2 is empty.' }],
    warnings: [],
  },
  source: 'webhook',
  idempotencyKey: 'build-42',
  correlationId: 'ci-7',
  created: true,
};

const completed: JobCompletedData = {
  jobName: JOB,
  jobUid: 'uid-1',
  region: 'us-central1',
  state: 'FAILED',
  runDurationSeconds: 12.5,
  tasks: { total: 3, counts: { SUCCEEDED: 2, FAILED: 1 } },
  failedTasks: [{ task: `${JOB}/taskGroups/group0/tasks/2`, exitCode: 3 }],
  streaming: { enabled: true },
  image: launched.image.uri,
  correlationId: 'ci-7',
};

describe('buildEvent', () => {
  it('builds a CloudEvents 1.0 envelope the cloudevents SDK accepts', () => {
    const event = buildEvent(EVENT_TYPES.launched, launched, {
      ...CONTEXT,
      id: launchEventId(launched.jobId),
      subject: JOB,
    });
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'dev.streamgate.job.launched.v1',
      datacontenttype: 'application/json',
      subject: JOB,
    });
    const sdk = new CloudEvent({ ...event }, true);
    expect(sdk.validate()).toBe(true);
    expect(sdk.id).toBe(event.id);
  });

  it('takes the time from the caller (Date or RFC 3339)', () => {
    const event = buildEvent(EVENT_TYPES.completed, completed, {
      ...CONTEXT,
      id: 'x',
      time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    });
    expect(event.time).toBe('2026-01-02T03:04:05.000Z');
    expect(() =>
      buildEvent(EVENT_TYPES.completed, completed, { ...CONTEXT, id: 'x', time: 'yesterday' }),
    ).toThrow(/time/);
  });

  it('refuses data that does not match the type schema', () => {
    const bad = { ...completed, state: 'RUNNING' } as unknown as JobCompletedData;
    expect(() => buildEvent(EVENT_TYPES.completed, bad, { ...CONTEXT, id: 'x' })).toThrow(StreamgateError);
    const extra = { ...launched, secret: 'x' } as JobLaunchedData;
    expect(() => buildEvent(EVENT_TYPES.launched, extra, { ...CONTEXT, id: 'x' })).toThrow(/secret/);
    const badName = { ...launched, jobName: 'jobs/x' };
    expect(() => buildEvent(EVENT_TYPES.launched, badName, { ...CONTEXT, id: 'x' })).toThrow(/jobName/);
    const noReasons: RequestRejectedData = { reasons: [], source: 'pubsub', correlationId: 'c' };
    expect(() => buildEvent(EVENT_TYPES.rejected, noReasons, { ...CONTEXT, id: 'x' })).toThrow(/reasons/);
  });
});

describe('Pub/Sub binary content mode', () => {
  it('maps attributes to ce-* and the data to JSON, and reads them back', () => {
    const event = buildEvent(EVENT_TYPES.completed, completed, {
      ...CONTEXT,
      id: completionEventId('uid-1', 'FAILED'),
      subject: JOB,
    });
    const message = toPubsubMessage(event);
    expect(message.attributes).toEqual({
      'ce-specversion': '1.0',
      'ce-id': completionEventId('uid-1', 'FAILED'),
      'ce-type': 'dev.streamgate.job.completed.v1',
      'ce-source': CONTEXT.source,
      'ce-time': CONTEXT.time,
      'ce-subject': JOB,
      'ce-datacontenttype': 'application/json',
      'content-type': 'application/json',
    });
    expect(JSON.parse(message.data)).toEqual(completed);
    expect(fromPubsubMessage(message)).toEqual(event);
    expect(
      fromPubsubMessage({ data: new TextEncoder().encode(message.data), attributes: message.attributes }),
    ).toEqual(event);
  });

  it('omits ce-subject when there is none', () => {
    const rejected: RequestRejectedData = {
      reasons: [{ code: 'POLICY_REGION', message: 'Region asia-east1 is not allowed.' }],
      source: 'webhook',
      correlationId: 'c-1',
      request: summarizeRequest({ image: 'x', environment: { TOKEN: 'v' } }),
    };
    const message = toPubsubMessage(buildEvent(EVENT_TYPES.rejected, rejected, { ...CONTEXT, id: 'r' }));
    expect(message.attributes).not.toHaveProperty('ce-subject');
    expect(message.data).not.toContain('"v"');
    expect(fromPubsubMessage(message).data).toEqual(rejected);
  });

  it('rejects foreign, malformed and invalid messages with typed errors', () => {
    const good = toPubsubMessage(buildEvent(EVENT_TYPES.launched, launched, { ...CONTEXT, id: 'l' }));
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        return (error as StreamgateError).code;
      }
      return 'none';
    };
    expect(
      code(() =>
        fromPubsubMessage({ ...good, attributes: { ...good.attributes, 'ce-type': 'com.example.other' } }),
      ),
    ).toBe('UNSUPPORTED_EVENT');
    expect(
      code(() => fromPubsubMessage({ ...good, attributes: { ...good.attributes, 'ce-specversion': '0.3' } })),
    ).toBe('INVALID_ENVELOPE');
    expect(code(() => fromPubsubMessage({ data: good.data, attributes: {} }))).toBe('INVALID_ENVELOPE');
    expect(code(() => fromPubsubMessage({ ...good, data: '{not json' }))).toBe('INVALID_ENVELOPE');
    expect(
      code(() => fromPubsubMessage({ ...good, data: JSON.stringify({ ...launched, created: 'yes' }) })),
    ).toBe('INVALID_ENVELOPE');
    expect(
      code(() =>
        fromPubsubMessage({ ...good, attributes: { ...good.attributes, 'content-type': 'text/plain' } }),
      ),
    ).toBe('INVALID_ENVELOPE');
    expect(code(() => fromPubsubMessage(good))).toBe('none');
  });
});
