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
      fc.property(fc.string({ maxLength: 200 }), (jobId) => {
        const id = requestIdFor(jobId);
        return UUID.test(id) && id !== '00000000-0000-0000-0000-000000000000' && id === requestIdFor(jobId);
      }),
      { numRuns: 300 },
    );
    expect(requestIdFor('a')).not.toBe(requestIdFor('b'));
  });

  it('derives from the job id: one key through two entry points gives two request ids', () => {
    const webhookJob = jobIdFor('webhook', 'build-42');
    const pubsubJob = jobIdFor('pubsub', 'build-42');
    expect(requestIdFor(webhookJob)).not.toBe(requestIdFor(pubsubJob));
    // Equal job ids always give equal request ids, and the request id is not the key's own.
    fc.assert(
      fc.property(
        fc.constantFrom('push', 'pubsub', 'webhook'),
        fc.string({ maxLength: 100 }),
        (source, key) => {
          const jobId = jobIdFor(source, key);
          return (
            requestIdFor(jobId) === requestIdFor(jobIdFor(source, key)) &&
            requestIdFor(jobId) !== requestIdFor(key)
          );
        },
      ),
      { numRuns: 200 },
    );
    const sha = createHash('sha256')
      .update(`streamgate/request-id/v2\u0000${webhookJob}`, 'utf8')
      .digest('hex');
    expect(requestIdFor(webhookJob).replace(/-/g, '').slice(0, 12)).toBe(sha.slice(0, 12));
  });
});

describe('idempotency keys and event ids', () => {
  it('keys a push by rule, repository and digest', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const web = 'us-central1-docker.pkg.dev/p/apps/web';
    const api = 'us-central1-docker.pkg.dev/p/apps/api';
    expect(pushIdempotencyKey('smoke', web, digest)).toBe(`push:smoke:${web}:${digest}`);
    expect(pushIdempotencyKey('smoke', web, digest)).not.toBe(pushIdempotencyKey('bench', web, digest));
    // The same digest pushed to two repositories is two requests, so two jobs.
    expect(pushIdempotencyKey('smoke', web, digest)).not.toBe(pushIdempotencyKey('smoke', api, digest));
  });

  it('hashes a repository too long for a key, keeping keys distinct and within 256 characters', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const long = (name: string) => `us-central1-docker.pkg.dev/p/${'deep/'.repeat(40)}${name}`;
    const a = pushIdempotencyKey('smoke', long('a'), digest);
    const b = pushIdempotencyKey('smoke', long('b'), digest);
    expect(a.length).toBeLessThanOrEqual(256);
    expect(a).not.toBe(b);
    expect(a).toBe(`push:smoke:${keyHash(long('a'), 32)}:${digest}`);
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

  it('gives two different requests refused under one key two rejection ids', () => {
    const first = rejectionEventId('pubsub', 'msg-1', 'aaaaaaaaaaaaaaaaaaaa');
    expect(first).toBe(`rejected:pubsub:${keyHash('msg-1', 26)}:aaaaaaaaaaaaaaaaaaaa`);
    expect(first).not.toBe(rejectionEventId('pubsub', 'msg-1', 'bbbbbbbbbbbbbbbbbbbb'));
    expect(first).toBe(rejectionEventId('pubsub', 'msg-1', 'aaaaaaaaaaaaaaaaaaaa'));
  });
});
