/**
 * Bugs the fuzzers found, pinned as plain examples so they stay fixed whatever the random seed.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { LIMITS } from '../../shared/core/limits.js';
import { REQUEST_IMAGE } from './arbitraries.js';
import { observe, useFuzzStack } from './function-fuzz.js';

const fuzz = useFuzzStack();

describe('fuzz regressions', () => {
  it('a 200-character CloudEvent id on an undecodable event is refused (204), not a 500', async () => {
    // Found by on-job-request.test.ts: the id became the correlation id of request.rejected,
    // which allows 128 characters, so publishing failed validation and the function threw.
    const id = 'a'.repeat(200);
    const o = await observe(fuzz().stack, () =>
      fuzz().stack.post('onJobRequest', '/', Buffer.from('{"apiVersion":"streamgate/v1"'), {
        'content-type': 'application/x-www-form-urlencoded',
        'ce-id': id,
        'ce-type': '!',
        'ce-source': '!',
        'ce-specversion': '1.0',
      }),
    );
    expect(o.status).toBe(204);
    expect(o.events).toHaveLength(1);
    expect(o.events[0]?.type).toBe(EVENT_TYPES.rejected);
    expect((o.events[0]?.data as { correlationId: string }).correlationId).toBe(
      id.slice(0, LIMITS.correlationIdLength),
    );
  });

  it('a valid JobRequest in a message with a 256-character id launches once and reports it', async () => {
    const messageId = 'm'.repeat(256);
    const request = {
      apiVersion: 'streamgate/v1',
      image: REQUEST_IMAGE,
      idempotencyKey: 'regression-long-id',
    };
    const first = await observe(fuzz().stack, () =>
      fuzz().stack.deliver('onJobRequest', { data: JSON.stringify(request), messageId }, 'binary'),
    );
    expect(first.status).toBe(204);
    expect(first.createCalls).toBe(1);
    expect(first.events.map((e) => e.type)).toEqual([EVENT_TYPES.launched]);
    expect((first.events[0]?.data as { correlationId: string }).correlationId).toBe(
      messageId.slice(0, LIMITS.correlationIdLength),
    );
    // Redelivered: no second job, the same event id.
    const again = await observe(fuzz().stack, () =>
      fuzz().stack.deliver('onJobRequest', { data: JSON.stringify(request), messageId }, 'push'),
    );
    expect(again.status).toBe(204);
    expect(again.createCalls).toBe(0);
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
  });

  it('an unusable push notice with a 256-character message id is refused, not a 500', async () => {
    const o = await observe(fuzz().stack, () =>
      fuzz().stack.deliver('onImagePush', { data: '{"action":"INSERT"}', messageId: 'p'.repeat(256) }),
    );
    expect(o.status).toBe(204);
    expect(o.events.map((e) => e.type)).toEqual([EVENT_TYPES.rejected]);
    expect((o.events[0]?.data as { reasons: Array<{ code: string }> }).reasons[0]?.code).toBe(
      'INVALID_REQUEST',
    );
  });
});
