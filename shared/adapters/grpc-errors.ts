import { StreamgateError } from '../core/errors.js';
import type { RequestReasonCode } from '../core/reason-codes.js';

/** gRPC status codes (numeric, as google-gax reports them in `error.code`). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The endpoint did not answer in time or at all. */
const UNREACHABLE_CODES = new Set<number>([GrpcCode.UNAVAILABLE, GrpcCode.DEADLINE_EXCEEDED]);

/** Server-side hiccups a retry is likely to cure. */
const SERVER_HICCUP_CODES = new Set<number>([
  GrpcCode.RESOURCE_EXHAUSTED,
  GrpcCode.INTERNAL,
  GrpcCode.ABORTED,
]);

/** Codes a retry can cure (docs/reason-codes.md, transient errors): the two sets above and more. */
const TRANSIENT_CODES = new Set<number>([
  ...UNREACHABLE_CODES,
  ...SERVER_HICCUP_CODES,
  GrpcCode.CANCELLED,
  GrpcCode.UNKNOWN,
]);

/** The numeric gRPC code of an error thrown by a Google client, if any. */
export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The endpoint did not answer in time or at all (UNAVAILABLE, DEADLINE_EXCEEDED). */
export function isUnreachable(error: unknown): boolean {
  const code = grpcCode(error);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** The server answered with a hiccup a retry is likely to cure (RESOURCE_EXHAUSTED, INTERNAL, ABORTED). */
export function isServerHiccup(error: unknown): boolean {
  const code = grpcCode(error);
  return code !== undefined && SERVER_HICCUP_CODES.has(code);
}

/**
 * Any failure a retry can cure, errors without a gRPC code included.
 *
 * @example
 *   isTransientGrpcError({ code: GrpcCode.UNAVAILABLE }) // true
 */
export function isTransientGrpcError(error: unknown): boolean {
  const code = grpcCode(error);
  // Errors without a gRPC code are network-level failures (socket resets, DNS): retryable.
  return code === undefined || TRANSIENT_CODES.has(code);
}

/**
 * Wraps a Google client error in a StreamgateError: transient codes keep `transientCode`,
 * everything else becomes `permanentCode` (e.g. BATCH_INVALID_ARGUMENT).
 */
export function classifyGrpcError(
  error: unknown,
  what: string,
  codes: { transient: RequestReasonCode; permanent: RequestReasonCode; permissionDenied?: RequestReasonCode },
): StreamgateError {
  if (error instanceof StreamgateError) return error;
  const code = grpcCode(error);
  const detail =
    (error as { details?: unknown; message?: unknown } | null)?.details ?? (error as Error)?.message;
  const text = typeof detail === 'string' ? detail.slice(0, 500) : 'no details';
  if (isTransientGrpcError(error)) {
    return new StreamgateError(codes.transient, `${what} failed for now (${text}); it will be retried.`, {
      kind: 'transient',
      cause: error,
      details: { grpcCode: code },
    });
  }
  const permanent =
    (code === GrpcCode.PERMISSION_DENIED || code === GrpcCode.UNAUTHENTICATED) && codes.permissionDenied
      ? codes.permissionDenied
      : codes.permanent;
  return new StreamgateError(permanent, `${what} was refused: ${text}`, {
    kind: 'permanent',
    cause: error,
    details: { grpcCode: code },
  });
}
