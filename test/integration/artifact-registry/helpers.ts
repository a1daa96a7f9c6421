import { createServer, type Server, type Socket } from 'node:net';
import type { ImageReferenceLike } from '../../../shared/adapters/artifact-registry/contract-types.js';

export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const OTHER_DIGEST = `sha256:${'cd'.repeat(32)}`;

/** A reference as core's parser would produce it for LOCATION-docker.pkg.dev/PROJECT/REPO/IMAGE. */
export function arReference(
  location: string,
  project: string,
  repository: string,
  image: string,
): ImageReferenceLike {
  return {
    host: `${location}-docker.pkg.dev`,
    registry: { kind: 'artifact-registry', location, project, repository, image },
  };
}

/** A reference as core's parser would produce it for gcr.io-style hosts. */
export function gcrReference(
  host: string,
  location: 'us' | 'europe' | 'asia',
  project: string,
  image: string,
): ImageReferenceLike {
  return { host, registry: { kind: 'gcr', location, project, repository: host, image } };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never says a word: every RPC must hit its deadline. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Collects log lines as parsed JSON. */
export function captureLogs(): { lines: Array<Record<string, unknown>>; sink: (line: string) => void } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) };
}
