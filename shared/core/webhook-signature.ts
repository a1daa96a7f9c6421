import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Finding } from './reason-codes.js';

/**
 * Webhook signatures, scheme v2:
 * `X-Streamgate-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256 of "<t>.<METHOD>.<path>.<raw body>">`.
 * Binding the method and the route means a signature captured on one route cannot be replayed on
 * another. Several `v2=` values may be sent (one per key during a rotation); several keys may be
 * accepted. `v1=` (body only) is refused with SIGNATURE_SCHEME_OUTDATED.
 */

type SignatureCode =
  'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_STALE' | 'SIGNATURE_SCHEME_OUTDATED';
export type SignatureCheck =
  { ok: true; timestampSeconds: number } | { ok: false; reason: Finding<SignatureCode> };

/** What a signature covers: the method, the canonical route path and the raw body. */
export interface SignedRequest {
  method: string;
  /** `/jobs`, `/jobs:plan` or `/jobs/<jobId>`: no query, no trailing slash, no proxy prefix. */
  path: string;
  /** The raw body; ignored (treated as empty) for GET and HEAD. */
  body: Uint8Array | string;
}

export interface SignatureCheckInput {
  header: string | undefined;
  request: SignedRequest;
  secrets: readonly string[];
  /** Current time in unix seconds (the core has no clock). */
  nowSeconds: number;
  toleranceSeconds: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** Only this much of the header is read: enough for a timestamp and a dozen signatures. */
const MAX_HEADER_CHARS = 1024;

/** How to sign, for the messages of signature refusals. */
const HOW_TO_SIGN_V2 =
  'Sign with X-Streamgate-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256 of "<t>.<METHOD>.<path>.<raw body>">, where path is /jobs, /jobs:plan or /jobs/<id> and a GET has an empty body.';

/**
 * Signs a request the way the webhook expects.
 *
 * @example
 *   signatureHeader('s3cret', 1767225600, { method: 'POST', path: '/jobs', body })
 *   // -> 't=1767225600,v2=5f2c…'
 */
export function signatureHeader(secret: string, timestampSeconds: number, request: SignedRequest): string {
  return `t=${timestampSeconds},v2=${hmacHex(secret, timestampSeconds, request)}`;
}

/**
 * The idempotency key of a signed request that names none: derived from what the signature
 * verified (timestamp, method, path, body), never from the header text, which a sender may pad
 * with extra or reordered `v2=` entries. At most 81 printable characters.
 *
 * @example
 *   signedRequestKey(1767225600, { method: 'POST', path: '/jobs', body }) // 'sig:1767225600:9b1e…'
 */
export function signedRequestKey(timestampSeconds: number, request: SignedRequest): string {
  const digest = createHash('sha256');
  for (const part of signedParts(timestampSeconds, request)) digest.update(part);
  return `sig:${timestampSeconds}:${digest.digest('hex')}`;
}

/** `"<t>.<METHOD>.<path>."` then the body (empty for GET and HEAD). */
function signedParts(timestampSeconds: number, request: SignedRequest): Array<string | Uint8Array> {
  const method = request.method.toUpperCase();
  const body = method === 'GET' || method === 'HEAD' ? '' : request.body;
  return [`${timestampSeconds}.${method}.${request.path}.`, body];
}

function hmacHex(secret: string, timestampSeconds: number, request: SignedRequest): string {
  const hmac = createHmac('sha256', secret);
  for (const part of signedParts(timestampSeconds, request)) hmac.update(part);
  return hmac.digest('hex');
}

interface ParsedHeader {
  timestamp?: number;
  v2: string[];
  hasV1: boolean;
}

function parseHeader(header: string): ParsedHeader {
  const parsed: ParsedHeader = { v2: [], hasV1: false };
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part
      .slice(eq + 1)
      .trim()
      .toLowerCase();
    if (key === 't' && /^\d{1,12}$/.test(value)) parsed.timestamp = Number(value);
    if (key === 'v1') parsed.hasV1 = true;
    if (key === 'v2' && HEX_SHA256.test(value)) parsed.v2.push(value);
  }
  return parsed;
}

const failure = (code: SignatureCode, message: string): SignatureCheck => ({
  ok: false,
  reason: { code, message },
});

/**
 * Verifies a v2 signature header in constant time against every accepted secret, and refuses
 * timestamps more than `toleranceSeconds` away from now (in either direction). When the header
 * carries both `v1=` and `v2=`, only `v2` is checked.
 *
 * @example
 *   verifySignature({ header, request: { method: 'GET', path: '/jobs/sg-x', body: '' },
 *     secrets: ['s3cret'], nowSeconds: 1767225600, toleranceSeconds: 300 })
 *   // -> { ok: true, timestampSeconds: 1767225590 }
 */
export function verifySignature(input: SignatureCheckInput): SignatureCheck {
  const { header, request, secrets, nowSeconds, toleranceSeconds } = input;
  if (!header || header.trim() === '') {
    return failure('SIGNATURE_MISSING', `The X-Streamgate-Signature header is missing. ${HOW_TO_SIGN_V2}`);
  }
  const { timestamp, v2, hasV1 } = parseHeader(header.slice(0, MAX_HEADER_CHARS));
  if (v2.length === 0 && hasV1) {
    return failure(
      'SIGNATURE_SCHEME_OUTDATED',
      `Signature scheme v1 (body only) is no longer accepted: sign the method and the path too. ${HOW_TO_SIGN_V2}`,
    );
  }
  if (timestamp === undefined || v2.length === 0) {
    return failure(
      'SIGNATURE_INVALID',
      'The X-Streamgate-Signature header must look like t=<unix seconds>,v2=<64 hex chars>.',
    );
  }
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return failure(
      'SIGNATURE_STALE',
      `The signature timestamp is more than ${toleranceSeconds}s away from the server clock; sign the request again.`,
    );
  }
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, timestamp, request), 'hex');
    for (const candidate of v2) {
      // Both are 32 bytes, so timingSafeEqual never throws; keep looping to avoid an early exit.
      if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
    }
  }
  return matched
    ? { ok: true, timestampSeconds: timestamp }
    : failure('SIGNATURE_INVALID', 'The signature does not match this method, path and body.');
}
