import * as grpc from '@grpc/grpc-js';

/**
 * A gRPC status the stand-in answers with. It never leaves the stand-in as an exception: the
 * server turns it into a status on the wire, which the client library turns into its own error.
 */
export class BatchRpcError extends Error {
  readonly code: grpc.status;

  constructor(code: grpc.status, message: string) {
    super(message);
    this.name = 'BatchRpcError';
    this.code = code;
  }
}

/** INVALID_ARGUMENT with a message that says what to fix. */
export const invalidArgument = (message: string): BatchRpcError =>
  new BatchRpcError(grpc.status.INVALID_ARGUMENT, message);

export const notFound = (message: string): BatchRpcError => new BatchRpcError(grpc.status.NOT_FOUND, message);

/** Anything a handler threw, as the status object grpc-js sends. Unknown errors become INTERNAL. */
export function toStatus(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof BatchRpcError) return { code: error.code, details: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpc.status.INTERNAL, details: `Internal error in the Batch stand-in: ${message}` };
}
