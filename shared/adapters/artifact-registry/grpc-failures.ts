/** How this adapter sorts the errors thrown by the Google clients (google-gax). */

import { GrpcCode, grpcCode, isUnreachable } from '../grpc-errors.js';

const { PERMISSION_DENIED, UNAUTHENTICATED, NOT_FOUND } = GrpcCode;

// google-auth-library words these failures differently across versions; match the stable parts.
const NO_CREDENTIALS =
  /could not load the default credentials|could not refresh access token|unable to detect a project id/i;

export function isNotFound(error: unknown): boolean {
  return grpcCode(error) === NOT_FOUND;
}

/**
 * No Google credentials were found at all (Application Default Credentials came up empty), as
 * opposed to credentials that were refused: a setting is missing, not a role.
 */
export function isNoCredentials(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /could not load the default credentials/i.test(message);
}

/**
 * We could not talk to the API as ourselves: unreachable, no credentials, or not allowed. On the
 * default Google endpoint all of these mean "run without repository facts".
 */
export function isCannotAsk(error: unknown): boolean {
  const code = grpcCode(error);
  if (isUnreachable(error) || code === PERMISSION_DENIED || code === UNAUTHENTICATED) return true;
  const message = error instanceof Error ? error.message : String(error);
  return NO_CREDENTIALS.test(message);
}

/** A short description for logs and error messages. */
export function describeFailure(error: unknown): string {
  const details = (error as { details?: unknown } | null)?.details;
  const text =
    typeof details === 'string' && details ? details : error instanceof Error ? error.message : String(error);
  return text.slice(0, 300);
}
