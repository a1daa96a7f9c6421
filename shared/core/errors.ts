import type { ReasonCode } from './reason-codes.js';

/**
 * `transient`: try again later (throw from a CloudEvent function so Pub/Sub redelivers, 503 from
 * the webhook). `permanent`: retrying cannot help (ack, publish `request.rejected`, 4xx).
 */
export type FailureKind = 'transient' | 'permanent';

export interface StreamgateErrorOptions {
  kind: FailureKind;
  cause?: unknown;
  /** Extra structured facts, safe to log and to put in events (never secrets). */
  details?: Record<string, unknown>;
}

/**
 * The one error type streamgate throws on purpose. It always carries a stable reason code and
 * whether a retry can help.
 *
 * @example
 *   throw new StreamgateError('POLICY_REGION', 'Region asia-east1 is not in policy.allowedRegions.', {
 *     kind: 'permanent',
 *   });
 */
export class StreamgateError extends Error {
  readonly code: ReasonCode;
  readonly kind: FailureKind;
  readonly details: Record<string, unknown>;

  constructor(code: ReasonCode, message: string, options: StreamgateErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StreamgateError';
    this.code = code;
    this.kind = options.kind;
    this.details = options.details ?? {};
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/** A malformed image reference. Always permanent. */
export class ImageReferenceError extends StreamgateError {
  readonly input: string;

  constructor(input: string, message: string) {
    super('INVALID_IMAGE_REFERENCE', message, { kind: 'permanent', details: { input } });
    this.name = 'ImageReferenceError';
    this.input = input;
  }
}

/** True for any error streamgate raised on purpose. */
export function isStreamgateError(error: unknown): error is StreamgateError {
  return error instanceof StreamgateError;
}
