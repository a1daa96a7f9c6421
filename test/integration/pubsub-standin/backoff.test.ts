import { describe, expect, it } from 'vitest';
import { pushBackoffMs } from '../../../infra/local/pubsub/backoff.js';
import { pushBody, pushRequest } from '../../../infra/local/pubsub/push-body.js';

const NO_CLAMP = { minBackoffMs: 0, maxBackoffMs: Infinity };

describe('pushBackoffMs', () => {
  it('doubles from the minimum and stops at the maximum', () => {
    const bounds = { minimumBackoffMs: 10_000, maximumBackoffMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((n) => pushBackoffMs(n, bounds, NO_CLAMP))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000,
    ]);
  });

  it('clamps both bounds into the stand-in range, keeping the exponential shape inside it', () => {
    const bounds = { minimumBackoffMs: 10, maximumBackoffMs: 600_000 };
    const clamp = { minBackoffMs: 20, maxBackoffMs: 100 };
    expect([1, 2, 3, 4].map((n) => pushBackoffMs(n, bounds, clamp))).toEqual([20, 40, 80, 100]);
  });

  it('never overflows for huge attempt numbers', () => {
    expect(pushBackoffMs(10_000, { minimumBackoffMs: 1, maximumBackoffMs: 5 }, NO_CLAMP)).toBe(5);
  });
});

describe('pushBody', () => {
  const message = {
    messageId: '42',
    data: Buffer.from('hi'),
    attributes: { a: 'b' },
    publishTime: new Date('2026-01-02T03:04:05.678Z'),
    orderingKey: '',
  };

  it('has both spellings of id and time, base64 data, and no deliveryAttempt without a dead-letter policy', () => {
    expect(pushBody(message, 'projects/p/subscriptions/s', undefined)).toEqual({
      message: {
        data: 'aGk=',
        attributes: { a: 'b' },
        messageId: '42',
        message_id: '42',
        publishTime: '2026-01-02T03:04:05.678Z',
        publish_time: '2026-01-02T03:04:05.678Z',
      },
      subscription: 'projects/p/subscriptions/s',
    });
  });

  it('carries the ordering key and the delivery attempt when they apply', () => {
    const body = pushBody({ ...message, orderingKey: 'k' }, 'projects/p/subscriptions/s', 3);
    expect(body.message.orderingKey).toBe('k');
    expect(body.deliveryAttempt).toBe(3);
  });
});

describe('pushRequest', () => {
  const message = {
    messageId: '42',
    data: Buffer.from('Job state was updated'),
    attributes: {
      JobName: 'projects/p/locations/r/jobs/j',
      'x-goog-pubsub-message-id': 'forged',
      Host: 'elsewhere.example',
      'Content-Length': '1',
      'not a header': 'x',
      Multiline: 'a\r\nInjected: 1',
    },
    publishTime: new Date('2026-01-02T03:04:05.678Z'),
    orderingKey: 'k1',
  };
  const SUB = 'projects/p/subscriptions/s';

  it('wraps by default: the JSON envelope, as application/json', () => {
    const { headers, body } = pushRequest(message, SUB, { deliveryAttempt: 2, noWrapper: undefined });
    expect(headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual(pushBody(message, SUB, 2));
  });

  it('unwrapped with writeMetadata: the data as body, metadata after the attributes, only valid headers', () => {
    const { headers, body } = pushRequest(message, SUB, {
      deliveryAttempt: 2,
      noWrapper: { writeMetadata: true },
    });
    expect(Buffer.from(body).toString('utf8')).toBe('Job state was updated');
    expect(headers).toEqual({
      jobname: 'projects/p/locations/r/jobs/j',
      'x-goog-pubsub-message-id': '42',
      'x-goog-pubsub-subscription-name': SUB,
      'x-goog-pubsub-publish-time': '2026-01-02T03:04:05.678Z',
      'x-goog-pubsub-ordering-key': 'k1',
    });
  });

  it('unwrapped without writeMetadata: the data alone', () => {
    const { headers, body } = pushRequest(message, SUB, {
      deliveryAttempt: undefined,
      noWrapper: { writeMetadata: false },
    });
    expect(headers).toEqual({});
    expect(Buffer.from(body)).toEqual(message.data);
  });
});
