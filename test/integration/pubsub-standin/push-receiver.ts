/**
 * A push endpoint for tests: an HTTP server on 127.0.0.1 that records every POST and answers with
 * the status `respond` picks (by 1-based request number).
 */
import http from 'node:http';

export interface ReceivedPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  receivedAt: number;
}

export interface PushReceiver {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  requests: ReceivedPush[];
  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

export async function startPushReceiver(respond: (n: number) => number = () => 204): Promise<PushReceiver> {
  const requests: ReceivedPush[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      requests.push({ path: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() });
      res.statusCode = respond(requests.length);
      res.end();
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitForCount(count, timeoutMs) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`expected ${count} push requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
