import { createServer, type Server, type Socket } from 'node:net';
import { parseImageReference, type ImageReference } from '../../../shared/core/image-reference.js';

export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const OTHER_DIGEST = `sha256:${'cd'.repeat(32)}`;

/** `LOCATION-docker.pkg.dev/PROJECT/REPO/IMAGE`, parsed by core. */
export function arReference(
  location: string,
  project: string,
  repository: string,
  image: string,
): ImageReference {
  return parseImageReference(`${location}-docker.pkg.dev/${project}/${repository}/${image}`);
}

/** `HOST/PROJECT/IMAGE` for gcr.io-style hosts, parsed by core. */
export function gcrReference(host: string, project: string, image: string): ImageReference {
  return parseImageReference(`${host}/${project}/${image}`);
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
