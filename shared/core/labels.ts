import { createHash } from 'node:crypto';

/**
 * GCP label syntax and the labels streamgate puts on every job it creates. The `streamgate-*`
 * labels carry the correlation into Batch and Cloud Logging, and mark a job as ours so that
 * `onJobStateChanged` ignores foreign jobs.
 */

/** GCP label keys: lowercase letter first, then up to 62 of `[a-z0-9_-]`. */
export const LABEL_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
/** GCP label values: up to 63 of `[a-z0-9_-]` (empty allowed). */
export const LABEL_VALUE_PATTERN = /^[a-z0-9_-]{0,63}$/;
/** Prefixes a request may not use: `goog-`/`google-` belong to Google, `streamgate-` to us. */
export const RESERVED_LABEL_PREFIXES = ['goog-', 'google-', 'streamgate-'] as const;

export const STREAMGATE_LABEL = {
  key: 'streamgate-key',
  source: 'streamgate-source',
  correlation: 'streamgate-correlation',
  streaming: 'streamgate-streaming',
  managed: 'streamgate-managed',
} as const;

const MAX_LABEL_VALUE = 63;
const RFC4648_LOWER = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lowercase RFC 4648 base32 without padding. */
export function base32Lower(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += RFC4648_LOWER[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += RFC4648_LOWER[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * First `length` characters of base32(sha256(text)): a short, label-safe, stable digest.
 *
 * @example keyHash('abc') // 'xj4bnp4pahh6uqkbidpf'
 */
export function keyHash(text: string, length = 20): string {
  return base32Lower(createHash('sha256').update(text, 'utf8').digest()).slice(0, length);
}

/** True when `key` is a syntactically valid, non-reserved user label key. */
export function isUserLabelKey(key: string): boolean {
  return LABEL_KEY_PATTERN.test(key) && !RESERVED_LABEL_PREFIXES.some((p) => key.startsWith(p));
}

/**
 * Turns any text into a valid label value: lowercased, other characters become `_`. Values
 * longer than 63 are cut and end in a hash of the whole text, so distinct ids stay distinct.
 *
 * @example toLabelValue('Build #42/Main') // 'build__42_main'
 */
export function toLabelValue(text: string): string {
  const safe = text.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (safe.length <= MAX_LABEL_VALUE) return safe;
  return `${safe.slice(0, MAX_LABEL_VALUE - 13)}-${keyHash(text, 12)}`;
}

export interface StreamgateLabelInput {
  idempotencyKey: string;
  source: string;
  correlationId: string;
  streaming: boolean;
}

/** The `streamgate-*` labels for a job. The raw idempotency key never leaves as a label. */
export function streamgateLabels(input: StreamgateLabelInput): Record<string, string> {
  return {
    [STREAMGATE_LABEL.key]: keyHash(input.idempotencyKey),
    [STREAMGATE_LABEL.source]: toLabelValue(input.source),
    [STREAMGATE_LABEL.correlation]: toLabelValue(input.correlationId),
    [STREAMGATE_LABEL.streaming]: input.streaming ? 'on' : 'off',
    [STREAMGATE_LABEL.managed]: 'true',
  };
}

/** What a Batch job's labels say about it, read back in `onJobStateChanged`. */
export interface StreamgateJobLabels {
  managed: boolean;
  keyHash?: string;
  source?: string;
  correlation?: string;
  streaming?: boolean;
}

/** Reads the `streamgate-*` labels back from a job (labels of foreign jobs give `managed: false`). */
export function readStreamgateLabels(
  labels: Readonly<Record<string, string>> | undefined,
): StreamgateJobLabels {
  const get = (key: string): string | undefined => labels?.[key];
  const streaming = get(STREAMGATE_LABEL.streaming);
  return {
    managed: get(STREAMGATE_LABEL.managed) === 'true',
    ...(get(STREAMGATE_LABEL.key) !== undefined ? { keyHash: get(STREAMGATE_LABEL.key) } : {}),
    ...(get(STREAMGATE_LABEL.source) !== undefined ? { source: get(STREAMGATE_LABEL.source) } : {}),
    ...(get(STREAMGATE_LABEL.correlation) !== undefined
      ? { correlation: get(STREAMGATE_LABEL.correlation) }
      : {}),
    ...(streaming === 'on' || streaming === 'off' ? { streaming: streaming === 'on' } : {}),
  };
}
