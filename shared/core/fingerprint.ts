import { keyHash } from './labels.js';
import type { LaunchRequest } from './request.js';

/**
 * The fingerprint of a request: what an idempotency key is bound to. A key names exactly one
 * request (as with Stripe's idempotency keys): the same key with the same fingerprint is a repeat,
 * the same key with another fingerprint is a conflict. The fingerprint is stored on the job as the
 * label `streamgate-request`.
 */

/**
 * Per-delivery fields that do not change what is launched: the key itself, and the correlation id
 * (a Pub/Sub redelivery or a webhook retry may carry another one).
 */
export const FINGERPRINT_EXCLUDED_FIELDS: ReadonlySet<string> = new Set(['idempotencyKey', 'correlationId']);

// Versioned so a future change of the canonical form cannot match an old fingerprint by accident.
const FINGERPRINT_NAMESPACE = 'streamgate/request-fingerprint/v1\n';

/**
 * 20 lowercase base32 characters of sha256 over the canonical LaunchRequest (keys sorted at every
 * level, unset fields absent), without the per-delivery fields. Everything else counts: the image
 * as given (a tag, not what it resolves to now), container, environment, resources, machine type
 * and platform, region, streaming mode, labels, source and rule. Defaults are applied before, so a
 * changed config default changes the fingerprint of a request that relies on it.
 *
 * @example requestFingerprint(request) // 'k2x4…' (20 chars), equal for a redelivery with another correlationId
 */
export function requestFingerprint(request: LaunchRequest): string {
  const launched = Object.fromEntries(
    Object.entries(request).filter(([field]) => !FINGERPRINT_EXCLUDED_FIELDS.has(field)),
  );
  return keyHash(FINGERPRINT_NAMESPACE + canonicalJson(launched));
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every level and `undefined` members left
 * out; arrays keep their order, since order matters in commands and volumes.
 *
 * @example canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } }) // '{"a":{"d":[2,1]},"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
