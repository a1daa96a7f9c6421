import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  completionEventId,
  JOB_ID_PATTERN,
  jobIdFor,
  launchEventId,
  pushIdempotencyKey,
  rejectionEventId,
  requestIdFor,
  stateChangedEventId,
} from '../../../shared/core/ids.js';
import { base32Lower, keyHash } from '../../../shared/core/labels.js';
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('base32Lower', () => {
  it('matches the RFC 4648 test vectors (lowercase, no padding)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [input, expected] of vectors)
      expect(base32Lower(new TextEncoder().encode(input))).toBe(expected.toLowerCase());
  });
});

describe('jobIdFor', () => {
  it('is sg-<source>-<first 20 base32 chars of sha256(key)>', () => {
    const digest = createHash('sha256').update('build-42').digest();
    expect(jobIdFor('webhook', 'build-42')).toBe(`sg-webhook-${base32Lower(digest).slice(0, 20)}`);
  });

  it('always yields a valid Batch job id, deterministically, for any key', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('push', 'pubsub', 'webhook'),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (source, key) => {
          const id = jobIdFor(source, key);
          return (
            JOB_ID_PATTERN.test(id) &&
            id.length <= 63 &&
            id === jobIdFor(source, key) &&
            id.startsWith(`sg-${source}-`)
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('separates keys and sources', () => {
    expect(jobIdFor('pubsub', 'a')).not.toBe(jobIdFor('pubsub', 'b'));
    expect(jobIdFor('pubsub', 'a')).not.toBe(jobIdFor('webhook', 'a'));
    expect(() => jobIdFor('Bad Source', 'a')).toThrow();
  });
});

describe('requestIdFor', () => {
  it('is a version-5-layout UUID with the RFC 4122 variant, never the zero UUID', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (key) => {
        const id = requestIdFor(key);
        return UUID.test(id) && id !== '00000000-0000-0000-0000-000000000000' && id === requestIdFor(key);
      }),
      { numRuns: 300 },
    );
    expect(requestIdFor('a')).not.toBe(requestIdFor('b'));
  });
});

describe('idempotency keys and event ids', () => {
  it('keys a push by rule and digest only', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(pushIdempotencyKey('smoke', digest)).toBe(pushIdempotencyKey('smoke', digest));
    expect(pushIdempotencyKey('smoke', digest)).not.toBe(pushIdempotencyKey('bench', digest));
    expect(pushIdempotencyKey('smoke', digest)).toContain(digest);
  });

  it('gives duplicate notifications the same event id and distinct states distinct ids', () => {
    expect(completionEventId('uid-1', 'SUCCEEDED')).toBe(completionEventId('uid-1', 'SUCCEEDED'));
    expect(completionEventId('uid-1', 'SUCCEEDED')).not.toBe(completionEventId('uid-1', 'FAILED'));
    expect(completionEventId('uid-1', 'SUCCEEDED')).not.toBe(stateChangedEventId('uid-1', 'SUCCEEDED'));
    expect(launchEventId('sg-a')).not.toBe(launchEventId('sg-b'));
  });

  it('hashes the key into rejection ids', () => {
    const id = rejectionEventId('webhook', 'secret-looking key');
    expect(id).not.toContain('secret');
    expect(id).toContain(keyHash('secret-looking key', 26));
    expect(id).not.toBe(rejectionEventId('pubsub', 'secret-looking key'));
  });
});
