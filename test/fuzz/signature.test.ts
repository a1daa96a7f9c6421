/**
 * Fuzzes the webhook signature verifier (scheme v2): it never throws, never accepts a forgery or a
 * signature of another method, path or body, and always accepts a correct signature within the
 * tolerance, whatever the body, key, rotation set or extra header entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdempotencyKeySchema } from '../../shared/core/request.js';
import {
  signatureHeader,
  signedRequestKey,
  verifySignature,
  type SignedRequest,
} from '../../shared/core/webhook-signature.js';
import { nastyString } from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';
import { guardProcessForFile } from './process-guard.js';

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const TOLERANCE = 300;
const CODES = ['SIGNATURE_MISSING', 'SIGNATURE_INVALID', 'SIGNATURE_STALE', 'SIGNATURE_SCHEME_OUTDATED'];

const body = fc.uint8Array({ maxLength: 512 });
const secret = fc.string({ minLength: 1, maxLength: 40 });
const secrets = fc.array(secret, { minLength: 1, maxLength: 4 });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/** A request as the webhook would verify it: POSTs carry a body, GETs and HEADs do not. */
const signedRequest: fc.Arbitrary<SignedRequest> = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: fc.constantFrom('/jobs', '/jobs:plan'), body }),
  fc.record({
    method: fc.constantFrom('GET', 'HEAD'),
    path: fc.stringMatching(/^[a-z][a-z0-9-]{0,40}$/).map((id) => `/jobs/${id}`),
    body: fc.constant(new Uint8Array(0)),
  }),
);

/** Headers an attacker or a broken client might send. */
const junkHeader = fc.oneof(
  nastyString,
  fc.constant(undefined),
  fc
    .array(
      fc.oneof(
        fc
          .tuple(fc.constantFrom('t', 'v1', 'v2', 'v0', 'T', ' t', 'v2 ', 'V2'), nastyString)
          .map(([k, v]) => `${k}=${v}`),
        fc.nat().map((n) => `t=${n}`),
        hex64.map((h) => `v2=${h}`),
        hex64.map((h) => `v1=${h}`),
        nastyString,
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join(',')),
);

const verify = (header: string | undefined, request: SignedRequest, keys: readonly string[]) =>
  verifySignature({ header, request, secrets: keys, nowSeconds: NOW, toleranceSeconds: TOLERANCE });

guardProcessForFile();

describe('fuzz: webhook signature verifier (v2)', () => {
  it(
    'never throws and never accepts a header that was not signed with a known key',
    () => {
      fc.assert(
        fc.property(
          junkHeader,
          signedRequest,
          fc.array(secret, { maxLength: 3 }),
          (header, request, keys) => {
            const result = verify(header, request, keys);
            expect(result.ok).toBe(false);
            if (!result.ok) {
              expect(CODES).toContain(result.reason.code);
              expect(result.reason.message.length).toBeGreaterThan(0);
            }
          },
        ),
        fuzzParameters(2_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'accepts a correct signature from any rotated key within the tolerance, among junk, bogus v2 and v1 parts',
    () => {
      fc.assert(
        fc.property(
          signedRequest,
          secrets,
          fc.nat(),
          fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
          fc.array(
            fc.oneof(
              fc.stringMatching(/^[a-z0-9]{1,4}=[^,]{0,10}$/),
              hex64.map((h) => `v2=${h}`),
            ),
            {
              maxLength: 4,
            },
          ),
          fc.boolean(),
          fc.boolean(),
          (request, keys, pick, skew, extra, upper, withV1) => {
            const key = keys[pick % keys.length] as string;
            const t = NOW + skew;
            const [stamp, v2] = signatureHeader(key, t, request).split(',') as [string, string];
            const parts = [
              ...extra.filter((j) => !/^(t|v1)=/.test(j)),
              upper ? v2.toUpperCase().replace('V2=', 'v2=') : v2,
              ...(withV1 ? [`v1=${'a'.repeat(64)}`] : []),
            ];
            // The timestamp anywhere, the real signature anywhere among the bogus ones.
            parts.splice(pick % (parts.length + 1), 0, stamp);
            const result = verify(parts.join(','), request, keys);
            expect(result).toEqual({ ok: true, timestampSeconds: t });
            // The key derived from what was verified is always a valid Idempotency-Key.
            expect(IdempotencyKeySchema.safeParse(signedRequestKey(t, request)).success).toBe(true);
          },
        ),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'refuses any change to the body, the method, the path, the key or the timestamp',
    () => {
      fc.assert(
        fc.property(
          body.filter((b) => b.length > 0),
          secret,
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          fc.constantFrom('body', 'method', 'path', 'key', 'stale', 'timestamp'),
          (rawBody, key, at, flip, change) => {
            const request: SignedRequest = { method: 'POST', path: '/jobs:plan', body: rawBody };
            const header = signatureHeader(key, NOW, request);
            const tampered = Uint8Array.from(rawBody);
            const index = at % tampered.length;
            tampered[index] = (tampered[index] as number) ^ flip;
            let input = { header, request, keys: [key], now: NOW };
            if (change === 'body') input = { ...input, request: { ...request, body: tampered } };
            if (change === 'method') input = { ...input, request: { ...request, method: 'PUT' } };
            if (change === 'path') input = { ...input, request: { ...request, path: '/jobs' } };
            if (change === 'key') input = { ...input, keys: [key + 'x'] };
            if (change === 'stale') input = { ...input, now: NOW + TOLERANCE + 1 + at };
            if (change === 'timestamp')
              input = { ...input, header: header.replace(`t=${NOW}`, `t=${NOW - 1}`) };
            const result = verifySignature({
              header: input.header,
              request: input.request,
              secrets: input.keys,
              nowSeconds: input.now,
              toleranceSeconds: TOLERANCE,
            });
            expect(result.ok).toBe(false);
            if (!result.ok)
              expect(result.reason.code).toBe(change === 'stale' ? 'SIGNATURE_STALE' : 'SIGNATURE_INVALID');
          },
        ),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'refuses a v1-only header, even a correct v1 signature, as SIGNATURE_SCHEME_OUTDATED',
    () => {
      fc.assert(
        fc.property(body, secret, fc.array(hex64, { minLength: 1, maxLength: 3 }), (rawBody, key, v1s) => {
          const header = [`t=${NOW}`, ...v1s.map((h) => `v1=${h}`)].join(',');
          const result = verify(header, { method: 'POST', path: '/jobs', body: rawBody }, [key]);
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.reason.code).toBe('SIGNATURE_SCHEME_OUTDATED');
            expect(result.reason.message).toContain('v2=');
          }
        }),
        fuzzParameters(300),
      );
    },
    fuzzTimeoutMs(30_000),
  );
});
