import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Finding } from './reason-codes.js';

/**
 * Webhook signatures: `X-Streamgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * Several `v1=` values may be sent (one per key during a rotation); several keys may be accepted.
 */

export type SignatureCode = 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_STALE';
export type SignatureCheck = { ok: true } | { ok: false; reason: Finding<SignatureCode> };

export interface SignatureCheckInput {
  header: string | undefined;
  rawBody: Uint8Array;
  secrets: readonly string[];
  /** Current time in unix seconds (the core has no clock). */
  nowSeconds: number;
  toleranceSeconds: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Signs a body the way the webhook expects.
 *
 * @example
 *   const header = signatureHeader('s3cret', Math.floor(Date.now() / 1000), body);
 *   // -> 't=1767225600,v1=5f2c…'
 */
export function signatureHeader(
  secret: string,
  timestampSeconds: number,
  rawBody: Uint8Array | string,
): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, rawBody)}`;
}

function hmacHex(secret: string, timestampSeconds: number, rawBody: Uint8Array | string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
}

function parseHeader(header: string): { timestamp?: number; signatures: string[] } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && HEX_SHA256.test(value.toLowerCase())) signatures.push(value.toLowerCase());
  }
  return { timestamp, signatures };
}

/**
 * Verifies a signature header in constant time against every accepted secret, and refuses
 * timestamps more than `toleranceSeconds` away from now (in either direction).
 */
export function verifySignature(input: SignatureCheckInput): SignatureCheck {
  const { header, rawBody, secrets, nowSeconds, toleranceSeconds } = input;
  if (!header || header.trim() === '') {
    return {
      ok: false,
      reason: { code: 'SIGNATURE_MISSING', message: 'The X-Streamgate-Signature header is missing.' },
    };
  }
  const { timestamp, signatures } = parseHeader(header.slice(0, 1024));
  if (timestamp === undefined || signatures.length === 0) {
    return {
      ok: false,
      reason: {
        code: 'SIGNATURE_INVALID',
        message: 'The X-Streamgate-Signature header must look like t=<unix seconds>,v1=<64 hex chars>.',
      },
    };
  }
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return {
      ok: false,
      reason: {
        code: 'SIGNATURE_STALE',
        message: `The signature timestamp is more than ${toleranceSeconds}s away from the server clock; sign the request again.`,
      },
    };
  }
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
    for (const candidate of signatures) {
      // Both are 32 bytes, so timingSafeEqual never throws; keep looping to avoid an early exit.
      if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
    }
  }
  return matched
    ? { ok: true }
    : {
        ok: false,
        reason: { code: 'SIGNATURE_INVALID', message: 'The signature does not match the request body.' },
      };
}
