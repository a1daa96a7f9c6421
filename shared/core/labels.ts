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
const RESERVED_LABEL_PREFIXES = ['goog-', 'google-', 'streamgate-'] as const;
/** User label keys: GCP syntax, minus the prefixes reserved for Google and streamgate. */
export const USER_LABEL_KEY_PATTERN = new RegExp(
  `^(?!${RESERVED_LABEL_PREFIXES.join('|')})${LABEL_KEY_PATTERN.source.slice(1)}`,
);

const STREAMGATE_LABEL = {
  key: 'streamgate-key',
  source: 'streamgate-source',
  correlation: 'streamgate-correlation',
  streaming: 'streamgate-streaming',
  managed: 'streamgate-managed',
  /** The request's fingerprint: a key names exactly one request (see fingerprint.ts). */
  request: 'streamgate-request',
  /** The streaming decision as made at creation, so a repeat can report it from Batch. */
  mode: 'streamgate-mode',
  verdict: 'streamgate-verdict',
  reasons: 'streamgate-reasons',
  warnings: 'streamgate-warnings',
  /** The push rule that launched the job: the scope of that rule's maxJobsInFlight. */
  rule: 'streamgate-rule',
} as const;

const MAX_LABEL_VALUE = 63;
/** Ends a code list that did not fit in one label value. */
const MORE_CODES = 'more';
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

/**
 * Turns any text into a valid label value: lowercased, other characters become `_`. Values
 * longer than 63 are cut and end in a hash of the whole text, so distinct ids stay distinct.
 *
 * @example toLabelValue('Build #42/Main') // 'build__42_main'
 */
function toLabelValue(text: string): string {
  const safe = text.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (safe.length <= MAX_LABEL_VALUE) return safe;
  return `${safe.slice(0, MAX_LABEL_VALUE - 13)}-${keyHash(text, 12)}`;
}

/**
 * Reason or warning codes as one label value: lowercased, joined by `-` (codes never contain one).
 * Codes that do not fit in 63 characters are left out and the value ends in `-more`.
 *
 * @example codesLabel(['LOCATION_MISMATCH', 'API_DISABLED']) // 'location_mismatch-api_disabled'
 */
export function codesLabel(codes: readonly string[]): string {
  const tokens = codes.map((code) => code.toLowerCase());
  const joined = tokens.join('-');
  if (joined.length <= MAX_LABEL_VALUE) return joined;
  const kept: string[] = [];
  for (const token of tokens) {
    if ([...kept, token, MORE_CODES].join('-').length > MAX_LABEL_VALUE) break;
    kept.push(token);
  }
  return [...kept, MORE_CODES].join('-');
}

/**
 * Reads a `codesLabel` value back: upper-case codes, and whether the list is complete.
 *
 * @example readCodesLabel('location_mismatch-more') // { codes: ['LOCATION_MISMATCH'], complete: false }
 */
export function readCodesLabel(value: string): { codes: string[]; complete: boolean } {
  const tokens = value === '' ? [] : value.split('-');
  const codes = tokens.filter((t) => /^[a-z][a-z0-9_]*$/.test(t) && t !== MORE_CODES);
  return { codes: codes.map((t) => t.toUpperCase()), complete: codes.length === tokens.length };
}

export interface StreamgateLabelInput {
  idempotencyKey: string;
  source: string;
  correlationId: string;
  streaming: boolean;
  /** `requestFingerprint(request)`. */
  fingerprint: string;
  /** The request's streaming mode and the eligibility verdict, reasons and warnings. */
  mode: string;
  verdict: string;
  reasons: readonly string[];
  warnings: readonly string[];
  /** The push rule that launched the job, if one did. */
  rule?: string;
}

/**
 * The label that selects the jobs a maxJobsInFlight bound counts: one rule's jobs, or (no rule:
 * the policy's bound) every job streamgate manages.
 *
 * @example scopeLabel('smoke-test') // { key: 'streamgate-rule', value: 'smoke-test' }
 */
export function scopeLabel(rule: string | undefined): { key: string; value: string } {
  return rule === undefined
    ? { key: STREAMGATE_LABEL.managed, value: 'true' }
    : { key: STREAMGATE_LABEL.rule, value: toLabelValue(rule) };
}

/** The `streamgate-*` labels for a job. The raw idempotency key never leaves as a label. */
export function streamgateLabels(input: StreamgateLabelInput): Record<string, string> {
  return {
    [STREAMGATE_LABEL.key]: keyHash(input.idempotencyKey),
    [STREAMGATE_LABEL.source]: toLabelValue(input.source),
    [STREAMGATE_LABEL.correlation]: toLabelValue(input.correlationId),
    [STREAMGATE_LABEL.streaming]: input.streaming ? 'on' : 'off',
    [STREAMGATE_LABEL.managed]: 'true',
    [STREAMGATE_LABEL.request]: input.fingerprint,
    [STREAMGATE_LABEL.mode]: toLabelValue(input.mode),
    [STREAMGATE_LABEL.verdict]: toLabelValue(input.verdict),
    [STREAMGATE_LABEL.reasons]: codesLabel(input.reasons),
    [STREAMGATE_LABEL.warnings]: codesLabel(input.warnings),
    ...(input.rule === undefined ? {} : { [STREAMGATE_LABEL.rule]: toLabelValue(input.rule) }),
  };
}

/** What a Batch job's labels say about it, read back in `onJobStateChanged` and for repeats. */
export interface StreamgateJobLabels {
  managed: boolean;
  keyHash?: string;
  source?: string;
  correlation?: string;
  streaming?: boolean;
  fingerprint?: string;
  mode?: string;
  verdict?: string;
  reasons?: { codes: string[]; complete: boolean };
  warnings?: { codes: string[]; complete: boolean };
}

/**
 * The label that carries a correlation id, on the job and on every log line of the request (the
 * logger adds it), with the same value on both: one filter finds them all.
 *
 * @example correlationLabel('Build-42') // { key: 'streamgate-correlation', value: 'build-42' }
 */
export function correlationLabel(correlationId: string): { key: string; value: string } {
  return { key: STREAMGATE_LABEL.correlation, value: toLabelValue(correlationId) };
}

/** Reads the `streamgate-*` labels back from a job (labels of foreign jobs give `managed: false`). */
export function readStreamgateLabels(
  labels: Readonly<Record<string, string>> | undefined,
): StreamgateJobLabels {
  const get = (key: string): string | undefined =>
    labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
  const out: StreamgateJobLabels = { managed: get(STREAMGATE_LABEL.managed) === 'true' };
  const text = {
    keyHash: get(STREAMGATE_LABEL.key),
    source: get(STREAMGATE_LABEL.source),
    correlation: get(STREAMGATE_LABEL.correlation),
    fingerprint: get(STREAMGATE_LABEL.request),
    mode: get(STREAMGATE_LABEL.mode),
    verdict: get(STREAMGATE_LABEL.verdict),
  };
  for (const [field, value] of Object.entries(text)) {
    if (value !== undefined) out[field as keyof typeof text] = value;
  }
  const streaming = get(STREAMGATE_LABEL.streaming);
  if (streaming === 'on' || streaming === 'off') out.streaming = streaming === 'on';
  const reasons = get(STREAMGATE_LABEL.reasons);
  if (reasons !== undefined) out.reasons = readCodesLabel(reasons);
  const warnings = get(STREAMGATE_LABEL.warnings);
  if (warnings !== undefined) out.warnings = readCodesLabel(warnings);
  return out;
}
