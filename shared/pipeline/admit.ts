import { jobDefaultsFor, type StreamgateConfig } from '../core/config.js';
import { isStreamgateError, StreamgateError } from '../core/errors.js';
import type { Finding } from '../core/reason-codes.js';
import {
  IdempotencyKeySchema,
  parseJobRequest,
  toLaunchRequest,
  type LaunchRequest,
  type LaunchSource,
} from '../core/request.js';

/** The ids an entry point supplies beside the JSON. */
export interface AdmissionKeys {
  source: LaunchSource;
  /** The key when the request names none (a message id, a key derived from the signed request). */
  idempotencyKey: string;
  /** The correlation id when the request names none. */
  correlationId: string;
  /** A key sent beside the body (the webhook's Idempotency-Key header); the body's must equal it. */
  givenKey?: string;
  /** The push rule the request comes from. */
  rule?: string;
}

/**
 * A request admitted to the launch pipeline, or the reason it was not. `keyGiven`: the caller
 * named the key (in the body or beside it), so it was not derived here.
 */
export type Admission =
  | { admitted: true; request: LaunchRequest; keyGiven: boolean }
  | { admitted: false; finding: Finding; issues: string[]; ownKey?: string };

/**
 * The one admission path of all three entry points: JSON → JobRequest v1 → LaunchRequest (config
 * defaults applied, ids resolved), or a permanent refusal naming every schema issue. A refusal
 * carries the request's own idempotency key when it has a usable one (`ownKey`), so its
 * `request.rejected` dedupes like the launch would have. Transient errors are not expected here
 * and are rethrown.
 *
 * @example
 *   const admission = admit(json, { source: 'pubsub', idempotencyKey: id, correlationId: id }, config);
 *   if (admission.admitted) await launch(admission.request, deps);
 */
export function admit(
  json: unknown,
  keys: AdmissionKeys,
  config: Pick<StreamgateConfig, 'defaults' | 'policy'>,
): Admission {
  try {
    const parsed = parseJobRequest(json);
    if (
      keys.givenKey !== undefined &&
      parsed.idempotencyKey !== undefined &&
      parsed.idempotencyKey !== keys.givenKey
    ) {
      // Two different keys for one request: guessing which one the caller meant could launch twice.
      throw new StreamgateError(
        'INVALID_REQUEST',
        "The Idempotency-Key header and the body's idempotencyKey differ; send one of them, or the same value in both.",
        { kind: 'permanent' },
      );
    }
    const request = toLaunchRequest(parsed, {
      source: keys.source,
      idempotencyKey: keys.givenKey ?? keys.idempotencyKey,
      correlationId: keys.correlationId,
      defaults: jobDefaultsFor(config),
      ...(keys.rule !== undefined ? { rule: keys.rule } : {}),
    });
    return {
      admitted: true,
      request,
      keyGiven: keys.givenKey !== undefined || parsed.idempotencyKey !== undefined,
    };
  } catch (error) {
    if (!isStreamgateError(error) || error.transient) throw error;
    const issues = Array.isArray(error.details.issues) ? error.details.issues.map(String) : [];
    const ownKey = ownKeyOf(json);
    return {
      admitted: false,
      finding: { code: error.code, message: error.message },
      issues,
      ...(ownKey !== undefined ? { ownKey } : {}),
    };
  }
}

/** The request's own key, when it is a usable one, even though the request as a whole is not. */
function ownKeyOf(json: unknown): string | undefined {
  const key = (json as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  return IdempotencyKeySchema.safeParse(key).success ? (key as string) : undefined;
}
