/**
 * Client options for a plain-text gRPC endpoint such as a local stand-in (`127.0.0.1:7001`).
 * Returns undefined when no endpoint is given, so the client uses Google's default endpoint and ADC.
 */
export interface InsecureEndpointOptions {
  apiEndpoint: string;
  port: number;
  sslCreds: unknown;
}

export async function insecureEndpointOptions(
  hostPort: string | undefined,
): Promise<InsecureEndpointOptions | undefined> {
  if (!hostPort) return undefined;
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hostPort.trim());
  if (!match) throw new Error(`Endpoint "${hostPort}" must look like host:port.`);
  // Loaded on demand: @grpc/grpc-js is only needed when talking to a stand-in.
  const grpc = await import('@grpc/grpc-js');
  return {
    apiEndpoint: match[1] as string,
    port: Number(match[2]),
    sslCreds: grpc.credentials.createInsecure(),
  };
}
