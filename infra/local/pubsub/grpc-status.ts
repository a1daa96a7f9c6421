/**
 * gRPC status errors as grpc-js expects them from a server handler: an Error carrying `code` and
 * `details`, so the client library sees the same status codes the real service returns.
 */
import type * as grpc from '@grpc/grpc-js';

export interface GrpcStatusError extends Error {
  code: grpc.status;
  details: string;
}

/** An error that grpc-js turns into the given status when a handler passes it to its callback. */
export function grpcError(code: grpc.status, details: string): GrpcStatusError {
  return Object.assign(new Error(details), { code, details });
}

/** True for errors made by {@link grpcError}. */
export function isGrpcStatusError(error: unknown): error is GrpcStatusError {
  return error instanceof Error && typeof (error as Partial<GrpcStatusError>).code === 'number';
}
