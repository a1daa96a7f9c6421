import '../core/zod-locale.js';
import * as z from 'zod/mini';
import { StreamgateError } from '../core/errors.js';

/** A plain-text gRPC endpoint, e.g. a local stand-in (`127.0.0.1:7001`). */
export interface GrpcEndpoint {
  host: string;
  port: number;
}

const HostPortSchema = z.pipe(
  z
    .string()
    .check(z.trim(), z.regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must look like host:port')),
  z.transform((value: string, ctx) => {
    const cut = value.lastIndexOf(':');
    const host = value.slice(0, cut).replace(/^\[(.*)\]$/, '$1');
    const port = Number(value.slice(cut + 1));
    if (port < 1 || port > 65535) {
      // A zod/mini transform gets the bare parse payload (no addIssue): push what addIssue would.
      ctx.issues.push({ code: 'custom', message: 'port must be 1-65535', input: value });
      return z.NEVER;
    }
    return { host, port };
  }),
);

/**
 * Parses `host:port` (IPv6 in brackets).
 *
 * @example parseEndpoint('127.0.0.1:7003', 'ARTIFACT_REGISTRY_API_ENDPOINT') // { host: '127.0.0.1', port: 7003 }
 */
export function parseEndpoint(value: string, source: string): GrpcEndpoint {
  const parsed = HostPortSchema.safeParse(value);
  if (!parsed.success) {
    const why = parsed.error.issues.map((issue) => issue.message).join('; ');
    throw new StreamgateError('CONFIG_INVALID', `${source}="${value}" is not a valid endpoint: ${why}.`, {
      kind: 'permanent',
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** google-gax client options for a plain-text endpoint (no TLS, no credentials). */
export async function insecureClientOptions(
  endpoint: GrpcEndpoint,
): Promise<{ apiEndpoint: string; port: number; sslCreds: unknown }> {
  // Loaded on demand: grpc-js is already in memory once a client library is, so this is cheap.
  const grpc = await import('@grpc/grpc-js');
  return { apiEndpoint: endpoint.host, port: endpoint.port, sslCreds: grpc.credentials.createInsecure() };
}
