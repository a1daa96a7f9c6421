/**
 * Fuzzes the webhook signature verifier: it never throws, never accepts a forgery, and always
 * accepts a correct signature within the tolerance, whatever the body, key or rotation set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../shared/core/webhook-signature.js';
import { nastyString } from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';
import { guardProcessForFile } from './process-guard.js';

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const TOLERANCE = 300;
const CODES = ['SIGNATURE_MISSING', 'SIGNATURE_INVALID', 'SIGNATURE_STALE'];

const body = fc.uint8Array({ maxLength: 512 });
const secret = fc.string({ minLength: 1, maxLength: 40 });
const secrets = fc.array(secret, { minLength: 1, maxLength: 4 });

/** Headers an attacker or a broken client might send. */
const junkHeader = fc.oneof(
  nastyString,
  fc.constant(undefined),
  fc
    .array(
      fc.oneof(
        fc
          .tuple(fc.constantFrom('t', 'v1', 'v0', 'T', ' t', 'v1 '), nastyString)
          .map(([k, v]) => `${k}=${v}`),
        fc.nat().map((n) => `t=${n}`),
        fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `v1=${h}`),
        nastyString,
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join(',')),
);

guardProcessForFile();

describe('fuzz: webhook signature verifier', () => {
  it(
    'never throws and never accepts a header that was not signed with a known key',
    () => {
      fc.assert(
        fc.property(junkHeader, body, fc.array(secret, { maxLength: 3 }), (header, rawBody, keys) => {
          const result = verifySignature({
            header,
            rawBody,
            secrets: keys,
            nowSeconds: NOW,
            toleranceSeconds: TOLERANCE,
          });
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(CODES).toContain(result.reason.code);
            expect(result.reason.message.length).toBeGreaterThan(0);
          }
        }),
        fuzzParameters(2_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'accepts a correct signature from any rotated key within the tolerance, even among junk parts',
    () => {
      fc.assert(
        fc.property(
          body,
          secrets,
          fc.nat(),
          fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
          fc.array(fc.stringMatching(/^[a-z0-9]{1,4}=[^,]{0,10}$/), { maxLength: 3 }),
          fc.boolean(),
          (rawBody, keys, pick, skew, junk, upper) => {
            const key = keys[pick % keys.length] as string;
            let header = signatureHeader(key, NOW + skew, rawBody);
            if (upper) header = header.replace(/v1=([0-9a-f]+)/, (_, h: string) => `v1=${h.toUpperCase()}`);
            header = [...junk.filter((j) => !/^(t|v1)=/.test(j)), header].join(',');
            const result = verifySignature({
              header,
              rawBody,
              secrets: keys,
              nowSeconds: NOW,
              toleranceSeconds: TOLERANCE,
            });
            expect(result).toEqual({ ok: true });
          },
        ),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'refuses any change to the body, the key or the timestamp',
    () => {
      fc.assert(
        fc.property(
          body.filter((b) => b.length > 0),
          secret,
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          fc.constantFrom('body', 'key', 'stale', 'timestamp'),
          (rawBody, key, at, flip, change) => {
            const header = signatureHeader(key, NOW, rawBody);
            const tampered = Uint8Array.from(rawBody);
            const index = at % tampered.length;
            tampered[index] = (tampered[index] as number) ^ flip;
            const input = { header, rawBody, secrets: [key], nowSeconds: NOW, toleranceSeconds: TOLERANCE };
            if (change === 'body') input.rawBody = tampered;
            if (change === 'key') input.secrets = [key + 'x'];
            if (change === 'stale') input.nowSeconds = NOW + TOLERANCE + 1 + at;
            if (change === 'timestamp') input.header = header.replace(`t=${NOW}`, `t=${NOW - 1}`);
            const result = verifySignature(input);
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
});
