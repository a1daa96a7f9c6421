/**
 * A push endpoint on 127.0.0.1 that forwards each POST to a function and records the function's
 * answer, so a test can see what a Pub/Sub server (stand-in or Google's emulator) delivered and
 * whether the function acked it. `/<function>/<rest>` is forwarded to `<function URL>/<rest>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface RelayedPush {
  fn: string;
  path: string;
  /** The headers the Pub/Sub server sent (before the relay added any). */
  headers: http.IncomingHttpHeaders;
  /** The function's status; 0 when it could not be reached. */
  status: number;
}

export interface PushRelay {
  url: string;
  pushes: RelayedPush[];
  /** Resolves with the first recorded push that matches; rejects after `timeoutMs`. */
  waitFor(match: (push: RelayedPush) => boolean, timeoutMs: number): Promise<RelayedPush>;
  close(): Promise<void>;
}

/** Headers the relay's own connection owns; everything else is forwarded as received. */
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * Starts the relay. `extraHeaders(fn, path)` adds headers to what is forwarded (to show they are
 * not read as attributes).
 *
 * @example
 *   const relay = await startPushRelay(stack.urls);
 *   pushEndpoint: `${relay.url}/onJobStateChanged/projects/p/topics/t`
 */
export async function startPushRelay(
  functionUrls: Readonly<Record<string, string>>,
  extraHeaders: (fn: string, path: string) => Record<string, string> = () => ({}),
): Promise<PushRelay> {
  const pushes: RelayedPush[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const [, fn = '', ...rest] = (req.url ?? '/').split('/');
      const path = `/${rest.join('/')}`;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers[name] = value;
      }
      fetch(`${functionUrls[fn] ?? 'http://127.0.0.1:9'}${path}`, {
        method: req.method ?? 'POST',
        headers: { ...headers, ...extraHeaders(fn, path) },
        body: new Uint8Array(Buffer.concat(chunks)),
        signal: AbortSignal.timeout(30_000),
      })
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        })
        .catch(() => 0)
        .then((status) => {
          pushes.push({ fn, path, headers: req.headers, status });
          res.statusCode = status || 502;
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    pushes,
    async waitFor(match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = pushes.find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`no matching push within ${timeoutMs} ms: ${JSON.stringify(pushes)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
