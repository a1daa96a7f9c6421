/** Small adapters between plain (possibly async) functions and grpc-js handler signatures. */
import * as grpc from '@grpc/grpc-js';
import { grpcError, isGrpcStatusError } from './grpc-status.js';

/**
 * Wraps `fn(request, call)` as a unary handler: its result is the response and a thrown status
 * error becomes the call's status (anything else becomes INTERNAL).
 */
export function unary<Req, Res>(
  fn: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toStatusError(error)),
      );
  };
}

/** Any thrown value as a gRPC status error. */
function toStatusError(error: unknown): grpc.ServiceError {
  if (isGrpcStatusError(error)) return error as unknown as grpc.ServiceError;
  const details = error instanceof Error ? error.message : String(error);
  return grpcError(grpc.status.INTERNAL, details) as unknown as grpc.ServiceError;
}

/**
 * One page of `items`; the page token is the offset of the next page.
 *
 * @example
 *   const { page, nextPageToken } = paginate(names, 2, '');   // first two, token '2'
 */
export function paginate<T>(
  items: readonly T[],
  pageSize: number,
  pageToken: string,
): { page: T[]; nextPageToken: string } {
  const start = pageToken === '' ? 0 : Number(pageToken);
  if (!Number.isInteger(start) || start < 0)
    throw grpcError(grpc.status.INVALID_ARGUMENT, 'Invalid page token');
  const size = pageSize > 0 ? pageSize : 100;
  const end = start + size;
  return { page: items.slice(start, end), nextPageToken: end < items.length ? String(end) : '' };
}
