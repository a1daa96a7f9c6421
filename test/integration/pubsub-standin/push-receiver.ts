/**
 * A push endpoint for tests: an HTTP server on 127.0.0.1 that records every POST and answers with
 * the status `respond` picks (by 1-based request number).
 */
import http from 'node:http';

interface ReceivedPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON, else as UTF-8 text. */
  body: unknown;
  /** The body's bytes as received. */
  raw: Buffer;
  receivedAt: number;
}

export interface PushReceiver {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  requests: ReceivedPush[];
  /** Most requests that were being handled at the same moment. */
  readonly maxConcurrent: number;
  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

export async function startPushReceiver(
  respond: (n: number) => number = () => 204,
  options: { delayMs?: number } = {},
): Promise<PushReceiver> {
  const requests: ReceivedPush[] = [];
  let active = 0;
  let maxConcurrent = 0;
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    active += 1;
    maxConcurrent = Math.max(maxConcurrent, active);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
      requests.push({ path: req.url ?? '', headers: req.headers, body, raw, receivedAt: Date.now() });
      const status = respond(requests.length);
      const answer = (): void => {
        active -= 1;
        res.statusCode = status;
        res.end();
        for (const wake of [...waiters]) wake();
      };
      if (!options.delayMs) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, options.delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
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
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
