import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdempotencyKeySchema } from '../../../shared/core/request.js';
import {
  signatureHeader,
  signedRequestKey,
  verifySignature,
  type SignedRequest,
} from '../../../shared/core/webhook-signature.js';

const T = 1_767_225_600;
const KEY = 'k'.repeat(32);
const BODY = '{"apiVersion":"streamgate/v1","image":"us-central1-docker.pkg.dev/p/apps/web:v1"}';
const CREATE: SignedRequest = { method: 'POST', path: '/jobs', body: BODY };

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
const verify = (header: string | undefined, request: SignedRequest, secrets = [KEY], now = T) =>
  verifySignature({ header, request, secrets, nowSeconds: now, toleranceSeconds: 300 });

describe('webhook signatures, scheme v2', () => {
  it('signs "<t>.<METHOD>.<path>.<raw body>", as the README one-liner does', () => {
    expect(signatureHeader(KEY, T, CREATE)).toBe(`t=${T},v2=${hmac(KEY, `${T}.POST./jobs.${BODY}`)}`);
    expect(signatureHeader(KEY, T, { ...CREATE, body: Buffer.from(BODY) })).toBe(
      signatureHeader(KEY, T, CREATE),
    );
  });

  it('signs a GET over an empty body, whatever body it is given', () => {
    const get = { method: 'GET', path: '/jobs/sg-webhook-abc', body: 'ignored' };
    expect(signatureHeader(KEY, T, get)).toBe(`t=${T},v2=${hmac(KEY, `${T}.GET./jobs/sg-webhook-abc.`)}`);
    expect(verify(signatureHeader(KEY, T, { ...get, body: '' }), get)).toEqual({
      ok: true,
      timestampSeconds: T,
    });
  });

  it('returns the verified timestamp, within the tolerance on either side', () => {
    expect(verify(signatureHeader(KEY, T - 300, CREATE), CREATE)).toEqual({
      ok: true,
      timestampSeconds: T - 300,
    });
    expect(verify(signatureHeader(KEY, T + 300, CREATE), CREATE)).toEqual({
      ok: true,
      timestampSeconds: T + 300,
    });
    const stale = verify(signatureHeader(KEY, T - 301, CREATE), CREATE);
    expect(stale.ok || stale.reason.code).toBe('SIGNATURE_STALE');
  });

  it('binds the method and the route: a signature does not move to another one', () => {
    const plan = signatureHeader(KEY, T, { ...CREATE, path: '/jobs:plan' });
    const refused = verify(plan, CREATE);
    expect(refused.ok || refused.reason.code).toBe('SIGNATURE_INVALID');
    const getA = signatureHeader(KEY, T, { method: 'GET', path: '/jobs/sg-a', body: '' });
    const other = verify(getA, { method: 'GET', path: '/jobs/sg-b', body: '' });
    expect(other.ok || other.reason.code).toBe('SIGNATURE_INVALID');
    const head = verify(getA, { method: 'HEAD', path: '/jobs/sg-a', body: '' });
    expect(head.ok || head.reason.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a v1-only header with SIGNATURE_SCHEME_OUTDATED and says how to sign v2', () => {
    const v1 = `t=${T},v1=${hmac(KEY, `${T}.${BODY}`)}`;
    const result = verify(v1, CREATE);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason.code).toBe('SIGNATURE_SCHEME_OUTDATED');
    expect(result.reason.message).toContain('v2=');
    expect(result.reason.message).toContain('<t>.<METHOD>.<path>.<raw body>');
  });

  it('checks only v2 when a header carries both schemes', () => {
    const goodV1 = `v1=${hmac(KEY, `${T}.${BODY}`)}`;
    const goodV2 = signatureHeader(KEY, T, CREATE);
    expect(verify(`${goodV2},v1=${'0'.repeat(64)}`, CREATE).ok).toBe(true);
    const onlyV1Good = verify(`t=${T},${goodV1},v2=${'0'.repeat(64)}`, CREATE);
    expect(onlyV1Good.ok || onlyV1Good.reason.code).toBe('SIGNATURE_INVALID');
  });

  it('accepts several v2 entries and several server keys (rotation)', () => {
    const [stamp, v2] = signatureHeader('old-key', T, CREATE).split(',');
    const header = `${stamp},v2=${'1'.repeat(64)},${v2},v2=${'2'.repeat(64)}`;
    expect(verify(header, CREATE, [KEY, 'old-key'])).toEqual({ ok: true, timestampSeconds: T });
    const unknown = verify(header, CREATE, [KEY]);
    expect(unknown.ok || unknown.reason.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses missing and malformed headers with their codes', () => {
    const missing = verify(undefined, CREATE);
    expect(missing.ok || missing.reason.code).toBe('SIGNATURE_MISSING');
    for (const header of ['garbage', `t=${T}`, `v2=${'0'.repeat(64)}`, `t=${T},v2=abc`]) {
      const result = verify(header, CREATE);
      expect(result.ok || result.reason.code).toBe('SIGNATURE_INVALID');
    }
  });
});

describe('signedRequestKey', () => {
  it('is sig:<t>:<sha256 of what was signed>, a valid Idempotency-Key', () => {
    const key = signedRequestKey(T, CREATE);
    const digest = createHash('sha256').update(`${T}.POST./jobs.${BODY}`).digest('hex');
    expect(key).toBe(`sig:${T}:${digest}`);
    expect(IdempotencyKeySchema.safeParse(key).success).toBe(true);
  });

  it('differs when the timestamp, method, path or body differ', () => {
    const keys = new Set([
      signedRequestKey(T, CREATE),
      signedRequestKey(T + 1, CREATE),
      signedRequestKey(T, { ...CREATE, path: '/jobs:plan' }),
      signedRequestKey(T, { ...CREATE, method: 'PUT' }),
      signedRequestKey(T, { ...CREATE, body: `${BODY} ` }),
    ]);
    expect(keys.size).toBe(5);
  });
});
