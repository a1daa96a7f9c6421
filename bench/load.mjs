/* global performance */
/**
 * A small closed-loop load generator: `concurrency` workers each send one request, wait for the
 * answer, and send the next, until `durationMs` or `maxRequests` is reached. Loopback only, over
 * keep-alive sockets (node:http, so the generator itself stays cheap).
 */
import { Agent, request } from 'node:http';
import { summarizeLoad } from './report.mjs';

/**
 * Runs the load and returns `summarizeLoad` of the 2xx latencies; non-2xx answers count as errors.
 * `makeRequest(i)` returns `{ path, headers, body }` for request number i.
 */
export async function runLoad({ port, concurrency, durationMs, maxRequests, makeRequest }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (issued < maxRequests && performance.now() < deadline) {
      const spec = makeRequest(issued++);
      const t0 = performance.now();
      const status = await send(agent, port, spec).catch(() => 0);
      if (status >= 200 && status <= 299) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  agent.destroy();
  return summarizeLoad({ latenciesMs: latencies, wallMs, errors });
}

function send(agent, port, { path, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
