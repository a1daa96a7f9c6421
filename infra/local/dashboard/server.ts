/**
 * The local stack's read-only page: plain HTML, a script and a stylesheet served as files (no build
 * step), and one server-sent-events stream (`GET /events`) of dashboard snapshots. It listens on
 * 127.0.0.1 only, answers only requests whose Host names it (a page elsewhere cannot reach it by DNS
 * rebinding), serves GET and HEAD alone, and bounds its clients and what it keeps.
 */
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BatchServiceClient } from '@google-cloud/batch';
import { jobSnapshot } from '../../../shared/adapters/batch-snapshot.js';
import { insecureClientOptions, parseEndpoint } from '../../../shared/adapters/grpc-endpoint.js';
import { tailEvents, type EventTail } from '../event-tail.js';
import { DashboardState } from './state.js';

export interface DashboardOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  pubsubAddress: string;
  batchAddress: string;
  project: string;
  /** Events topic id. */
  topic: string;
  /** How often Batch is asked for the jobs' states (default 1 s). */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** Open event streams at once; more are answered 503. */
const MAX_CLIENTS = 16;
/** Snapshots go out at most this often, however fast events arrive. */
const SNAPSHOT_INTERVAL_MS = 200;

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'page.html', type: 'text/html; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
  '/page.css': { file: 'page.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/**
 * Starts the page: tails the events topic and polls Batch for the jobs' states.
 *
 * @example
 *   const page = await startDashboard({ port: 8080, pubsubAddress, batchAddress, project: 'demo-project', topic: 'streamgate-events' });
 *   console.log(page.url); // http://127.0.0.1:8080
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const files = await loadFiles();
  const state = new DashboardState();
  const clients = new Set<ServerResponse>();
  const broadcast = throttle(() => {
    const frame = `event: snapshot\ndata: ${JSON.stringify(state.snapshot())}\n\n`;
    for (const client of clients) client.write(frame);
  }, SNAPSHOT_INTERVAL_MS);

  const server = http.createServer((req, res) => serve(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  let tail: EventTail | undefined;
  let batch: BatchServiceClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    tail = await tailEvents({
      pubsubAddress: options.pubsubAddress,
      project: options.project,
      topic: options.topic,
      onEvent: (event) => {
        if (state.add(event)) broadcast();
      },
    });
    batch = await batchClient(options.batchAddress);
    const poll = async () => {
      try {
        if (state.updateJobs(await listManagedJobs(batch!, options.project))) broadcast();
      } catch {
        // The stand-in is stopping or busy: the next poll tries again.
      }
      timer = setTimeout(() => void poll(), options.pollMs ?? 1_000);
    };
    void poll();
  } catch (error) {
    server.close();
    await tail?.close();
    throw error;
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    if (!hosts.has(req.headers.host ?? '')) return plain(res, 421, 'This page answers only on 127.0.0.1.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'The page is read-only.');
    }
    const path = (req.url ?? '/').replace(/\?.*$/, '');
    if (path === '/events') return openStream(res);
    const file = FILES[path];
    if (!file) return plain(res, 404, 'Not found.');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type });
    res.end(req.method === 'HEAD' ? undefined : files.get(file.file));
  }

  function openStream(res: ServerResponse): void {
    if (clients.size >= MAX_CLIENTS) return plain(res, 503, 'Too many open pages.');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8' });
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(state.snapshot())}\n\n`);
    clients.add(res);
    res.on('close', () => clients.delete(res));
  }

  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      clearTimeout(timer);
      broadcast.cancel();
      for (const client of clients) client.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tail?.close();
      await batch?.close();
    },
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

async function loadFiles(): Promise<Map<string, Buffer>> {
  const names = Object.values(FILES).map((entry) => entry.file);
  const contents = await Promise.all(
    names.map((name) => readFile(fileURLToPath(new URL(name, import.meta.url)))),
  );
  return new Map(names.map((name, i) => [name, contents[i]!]));
}

async function batchClient(address: string): Promise<BatchServiceClient> {
  const { BatchServiceClient: Client } = await import('@google-cloud/batch');
  const options = await insecureClientOptions(parseEndpoint(address, 'the Batch stand-in'));
  return new Client(options as ConstructorParameters<typeof Client>[0]);
}

/** streamgate's newest 500 jobs in every region (the page keeps no more), oldest first. */
async function listManagedJobs(batch: BatchServiceClient, project: string) {
  const [jobs] = await batch.listJobs(
    {
      parent: `projects/${project}/locations/-`,
      filter: 'labels.streamgate-managed="true"',
      orderBy: 'create_time desc',
      pageSize: 500,
    },
    { autoPaginate: false },
  );
  return jobs.map(jobSnapshot).reverse();
}

/** Runs `fn` at most once per `ms`, trailing: a burst of calls ends with one run after it. */
function throttle(fn: () => void, ms: number): (() => void) & { cancel(): void } {
  let pending: NodeJS.Timeout | undefined;
  let last = 0;
  const run = () => {
    pending = undefined;
    last = Date.now();
    fn();
  };
  const call = () => {
    if (pending) return;
    pending = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  return Object.assign(call, { cancel: () => clearTimeout(pending) });
}
