import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PUBSUB_CLOUDEVENT_TYPE } from '../../../shared/core/envelopes/pubsub.js';
import { decodePushRequest, type PushRequest } from '../../../shared/core/envelopes/push-request.js';
import { PUBSUB_METADATA_HEADERS } from '../../../shared/core/envelopes/unwrapped.js';

const BATCH_ATTRIBUTES = ['JobName', 'JobUID', 'NewJobState', 'Region', 'Type', 'TaskUID'];
const JOB_NAME = 'projects/123/locations/us-central1/jobs/sg-req-abc';
const TEXT = 'Job state was updated: jobName=projects/123/locations/us-central1/jobs/sg-req-abc';

/** Headers as Node hands them over: lower-case names. */
function request(body: string | Buffer, headers: Record<string, string>, path = '/'): PushRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { path, headers: lower, body: Buffer.isBuffer(body) ? body : Buffer.from(body) };
}

/** What Pub/Sub sends for a Batch notification on a noWrapper + writeMetadata subscription. */
const unwrappedNotification = (extra: Record<string, string> = {}) =>
  request(
    TEXT,
    {
      [PUBSUB_METADATA_HEADERS.messageId]: '9876543210',
      [PUBSUB_METADATA_HEADERS.publishTime]: '2026-07-31T10:00:00.123Z',
      [PUBSUB_METADATA_HEADERS.subscription]: 'projects/demo-project/subscriptions/job-state-push',
      JobName: JOB_NAME,
      JobUID: 'sg-req-abc-1234',
      NewJobState: 'SUCCEEDED',
      Region: 'us-central1',
      ...extra,
    },
    '/projects/demo-project/topics/batch-notifications',
  );

describe('decodePushRequest: unwrapped push with writeMetadata', () => {
  it('takes the body as the data and the metadata from the x-goog-pubsub-* headers', () => {
    const result = decodePushRequest(unwrappedNotification({ 'x-goog-pubsub-ordering-key': 'k1' }));
    expect(result).toEqual({
      ok: true,
      message: expect.objectContaining({
        messageId: '9876543210',
        publishTime: '2026-07-31T10:00:00.123Z',
        subscription: 'projects/demo-project/subscriptions/job-state-push',
        orderingKey: 'k1',
        topic: 'projects/demo-project/topics/batch-notifications',
      }),
    });
    expect(result.ok && result.message.data.toString('utf8')).toBe(TEXT);
    expect(result.ok && result.message.withoutMetadata).toBeFalsy();
  });

  it('recovers the attributes it is asked for under their own (mixed-case) names', () => {
    const result = decodePushRequest(unwrappedNotification(), BATCH_ATTRIBUTES);
    expect(result.ok && result.message.attributes).toEqual({
      JobName: JOB_NAME,
      JobUID: 'sg-req-abc-1234',
      NewJobState: 'SUCCEEDED',
      Region: 'us-central1',
    });
  });

  it('never reads ordinary headers as attributes', () => {
    const ordinary = {
      Authorization: 'Bearer eyJhbGciOi.secret',
      'User-Agent': 'APIs-Google',
      Traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'Content-Type': 'text/plain',
      'X-Cloud-Trace-Context': 'abc/1;o=1',
      Forwarded: 'for=10.0.0.1',
    };
    const asked = decodePushRequest(unwrappedNotification(ordinary), BATCH_ATTRIBUTES);
    expect(asked.ok && Object.keys(asked.message.attributes).sort()).toEqual(
      ['JobName', 'JobUID', 'NewJobState', 'Region'].sort(),
    );
    // A function that reads no attributes gets none, whatever headers arrived.
    const none = decodePushRequest(unwrappedNotification(ordinary));
    expect(none.ok && none.message.attributes).toEqual({});
  });

  it('takes the body as data even when it looks like a Pub/Sub envelope or a CloudEvent', () => {
    const envelope = JSON.stringify({
      message: { data: Buffer.from('{}').toString('base64'), messageId: 'other-id' },
      subscription: 's',
    });
    const cloudEvent = JSON.stringify({ specversion: '1.0', type: 'x.y', id: '1', source: '//x' });
    for (const body of [envelope, cloudEvent]) {
      const result = decodePushRequest(
        request(body, { [PUBSUB_METADATA_HEADERS.messageId]: '42', 'Content-Type': 'application/json' }),
      );
      expect(result.ok && result.message.data.toString('utf8')).toBe(body);
      expect(result.ok && result.message.messageId).toBe('42');
    }
  });

  it('reads a wrapped push that also carries the header of its own message id as wrapped', () => {
    const body = JSON.stringify({
      message: { data: Buffer.from('hello').toString('base64'), messageId: '42', attributes: { a: 'b' } },
      subscription: 'projects/p/subscriptions/s',
    });
    const result = decodePushRequest(request(body, { [PUBSUB_METADATA_HEADERS.messageId]: '42' }));
    expect(result.ok && result.message.data.toString('utf8')).toBe('hello');
    expect(result.ok && result.message.attributes).toEqual({ a: 'b' });
  });

  it('refuses malformed metadata with INVALID_ENVELOPE', () => {
    const result = decodePushRequest(request('x', { [PUBSUB_METADATA_HEADERS.messageId]: 'm'.repeat(300) }));
    expect(result).toMatchObject({ ok: false, reason: { code: 'INVALID_ENVELOPE' } });
  });
});

describe('decodePushRequest: unwrapped push without metadata', () => {
  it('takes the body as the data, with no attributes and a digest of the data for an id', () => {
    const notice = '{"action":"INSERT","digest":"us-central1-docker.pkg.dev/p/r/app@sha256:aa"}';
    const first = decodePushRequest(request(notice, {}, '/projects/p/topics/gcr'), BATCH_ATTRIBUTES);
    const again = decodePushRequest(request(notice, {}, '/projects/p/topics/gcr'), BATCH_ATTRIBUTES);
    expect(first).toEqual({
      ok: true,
      message: {
        messageId: expect.stringMatching(/^body-sha256:[0-9a-f]{64}$/),
        data: Buffer.from(notice),
        attributes: {},
        withoutMetadata: true,
        topic: 'projects/p/topics/gcr',
      },
    });
    // A redelivery carries the same id.
    expect(again.ok && first.ok && again.message.messageId).toBe(first.ok && first.message.messageId);
  });

  it('reads no header at all: a header named like an attribute is not one', () => {
    const result = decodePushRequest(request(TEXT, { JobName: JOB_NAME, 'Content-Type': 'text/plain' }), [
      'JobName',
    ]);
    expect(result.ok && result.message.attributes).toEqual({});
    expect(result.ok && result.message.withoutMetadata).toBe(true);
  });

  it('takes arrays, non-JSON and non-UTF-8 bodies as data', () => {
    for (const body of [Buffer.from('[1,2]'), Buffer.from('plain text'), Buffer.from([0xff, 0xfe, 0x00])]) {
      const result = decodePushRequest(request(body, {}));
      expect(result.ok && result.message.data).toEqual(body);
    }
  });
});

describe('decodePushRequest: the deliveries functions-framework used to convert', () => {
  const wrapped = {
    message: {
      data: Buffer.from('{"a":1}').toString('base64'),
      messageId: 'm-1',
      publishTime: '2026-07-31T10:00:00Z',
      attributes: { k: 'v' },
    },
    subscription: 'projects/p/subscriptions/s',
  };

  it('reads the wrapped push body and its topic from the endpoint path', () => {
    const result = decodePushRequest(request(JSON.stringify(wrapped), {}, '/projects/p/topics/t'));
    expect(result).toMatchObject({
      ok: true,
      message: { messageId: 'm-1', attributes: { k: 'v' }, topic: 'projects/p/topics/t' },
    });
  });

  it('reads binary and structured CloudEvents', () => {
    const binary = decodePushRequest(
      request(JSON.stringify(wrapped), {
        'ce-id': 'ce-1',
        'ce-specversion': '1.0',
        'ce-source': '//pubsub.googleapis.com/projects/p/topics/t',
        'ce-type': PUBSUB_CLOUDEVENT_TYPE,
      }),
    );
    expect(binary).toMatchObject({ ok: true, message: { messageId: 'm-1', topic: 'projects/p/topics/t' } });
    const structured = decodePushRequest(
      request(
        JSON.stringify({ specversion: '1.0', id: 'ce-2', source: '//x', type: 'google.storage.x', data: {} }),
        { 'Content-Type': 'application/cloudevents+json' },
      ),
    );
    expect(structured).toMatchObject({ ok: false, reason: { code: 'UNSUPPORTED_EVENT' } });
  });

  it('refuses legacy background events with UNSUPPORTED_EVENT', () => {
    const legacy = { context: { eventId: '1', eventType: 'google.pubsub.topic.publish' }, data: {} };
    expect(decodePushRequest(request(JSON.stringify(legacy), {}))).toMatchObject({
      ok: false,
      reason: { code: 'UNSUPPORTED_EVENT' },
    });
  });

  it('refuses a broken wrapped push with INVALID_ENVELOPE rather than taking it as data', () => {
    const broken = JSON.stringify({ message: { data: '%%%', messageId: 'm' }, subscription: 's' });
    expect(decodePushRequest(request(broken, {}))).toMatchObject({
      ok: false,
      reason: { code: 'INVALID_ENVELOPE' },
    });
  });
});

describe('decodePushRequest: any request', () => {
  const headerName = fc.constantFrom(
    'jobname',
    'newjobstate',
    'authorization',
    'user-agent',
    'content-type',
    PUBSUB_METADATA_HEADERS.messageId,
    PUBSUB_METADATA_HEADERS.publishTime,
    'ce-id',
    'ce-type',
  );

  it('never throws, and takes attributes from headers only by the names asked (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(headerName, fc.string({ maxLength: 300 })),
        // Bodies that cannot be an envelope or a CloudEvent (they do not start with '{').
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from('x'), bytes])),
        (headers, body) => {
          const result = decodePushRequest({ path: '/projects/p/topics/t', headers, body }, ['JobName']);
          if (!result.ok) return;
          expect(result.message.data).toEqual(body);
          if (result.message.withoutMetadata) expect(result.message.attributes).toEqual({});
          else
            expect(Object.keys(result.message.attributes)).toEqual(
              headers.jobname === undefined ? [] : ['JobName'],
            );
        },
      ),
      { numRuns: 500, seed: 20260731 },
    );
  });
});
