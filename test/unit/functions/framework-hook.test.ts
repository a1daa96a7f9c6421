/**
 * The facts of functions-framework that the webhook's body front relies on (framework-hook.ts).
 * When one of these fails after a dependency update, the hook no longer bounds the webhook's body:
 * re-check server.js and body-parser, then adjust the hook and SUPPORTED_FRAMEWORK together.
 */
import { readFile } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as functionsFramework from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  SUPPORTED_FRAMEWORK,
  frameworkVersion,
  installWebhookFront,
  SERVER_TIME_BOUNDS,
  passedFront,
} from '../../../functions/framework-hook.js';
import { resetRuntimeForTests } from '../../../functions/runtime.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { sendRaw } from '../../helpers/raw-http.js';

const MAX_BODY_BYTES = 2048;

// What a function saw: the parsed body (if a framework parser ran) and the raw bytes. `guarded`
// is registered like the webhook in functions/index.ts.
const report: functionsFramework.HttpFunction = (req, res) => {
  const body: unknown = req.body;
  res.json({ parsed: body ?? null, raw: req.rawBody?.toString('base64') ?? null });
};
functionsFramework.http('probe', report);
functionsFramework.http('guarded', (req, res) => {
  if (passedFront(req, res)) report(req, res);
});

const servers: Server[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(body: string): { parsed: unknown; raw: string | null } {
  return JSON.parse(body) as { parsed: unknown; raw: string | null };
}

beforeAll(() => {
  vi.stubEnv(
    'STREAMGATE_CONFIG_JSON',
    JSON.stringify({
      project: 'demo-project',
      topics: { events: 'streamgate-events', notifications: 'batch-notifications' },
      jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
      webhook: { maxBodyBytes: MAX_BODY_BYTES },
    }),
  );
  vi.stubEnv('STREAMGATE_WEBHOOK_SECRETS', 'k'.repeat(40));
  vi.stubEnv('STREAMGATE_LOG_LEVEL', 'ERROR');
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await resetRuntimeForTests();
  vi.unstubAllEnvs();
});

describe('functions-framework, as the body front relies on it', () => {
  it('is a supported version', () => {
    expect(frameworkVersion()).toMatch(SUPPORTED_FRAMEWORK);
  });

  it('loads our module before it builds its server, when it runs as Cloud Functions starts it', async () => {
    // main.js is what `functions-framework --target=…` (the Cloud Functions entry) runs.
    const entry = createRequire(import.meta.url).resolve('@google-cloud/functions-framework');
    const main = await readFile(join(dirname(entry), 'main.js'), 'utf8');
    const load = main.search(/await \(0, loader_1\.getUserFunction\)\(/);
    const build = main.search(/\(0, server_1\.getServer\)\(/);
    expect(load).toBeGreaterThan(0);
    expect(build).toBeGreaterThan(load);
  });

  it('creates its server with http.createServer(app), looked up at call time', () => {
    const target = http as { createServer: (...args: unknown[]) => Server };
    const original = target.createServer;
    const calls: unknown[][] = [];
    target.createServer = (...args: unknown[]) => {
      calls.push(args);
      return original.apply(http, args);
    };
    let server: Server;
    try {
      server = getTestServer('probe') as Server;
    } finally {
      target.createServer = original;
    }
    expect(calls).toHaveLength(1);
    const app = calls[0]![0] as { handle?: unknown; use?: unknown };
    expect(typeof app).toBe('function');
    expect(typeof app.handle).toBe('function');
    expect(typeof app.use).toBe('function');
    expect(server.listeners('request')).toContain(app);
  });

  it('inflates and parses bodies itself, but skips a request whose body was already read', async () => {
    const direct = await listen(getTestServer('probe') as Server);
    const gzipped = gzipSync('{"a":1}');
    const headers = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };
    // Unfronted, the framework inflates and parses (the reason for the front).
    expect(json((await sendRaw(direct, { headers, body: gzipped })).body).parsed).toEqual({ a: 1 });

    const app = getTestServer('probe').listeners('request')[0] as http.RequestListener;
    const reader = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks);
        app(req, res);
      });
    });
    const readFirst = await listen(reader);
    const skipped = json((await sendRaw(readFirst, { headers, body: gzipped })).body);
    expect(skipped).toEqual({ parsed: null, raw: gzipped.toString('base64') });
    const malformed = await sendRaw(readFirst, {
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":',
    });
    expect(malformed.status).toBe(200);
    expect(json(malformed.body).raw).toBe(Buffer.from('{"a":').toString('base64'));
  });
});

describe('installWebhookFront', () => {
  it('refuses to arm on an unsupported version, with a CRITICAL log', () => {
    const original = http.createServer;
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => installWebhookFront('6.0.0')).toThrow(StreamgateError);
      const lines = stderr.mock.calls.map(([line]) => String(line));
      expect(lines.some((line) => line.includes('"severity":"CRITICAL"') && line.includes('6.0.0'))).toBe(
        true,
      );
    } finally {
      stderr.mockRestore();
    }
    expect(http.createServer).toBe(original);
  });

  it('wraps the next framework server only, then restores http.createServer', async () => {
    const original = http.createServer;
    installWebhookFront();
    const server = getTestServer('guarded') as Server;
    expect(http.createServer).toBe(original);
    // Slow headers and slow requests are bounded on the fronted server, not left at Node's 60/300 s.
    expect(server.headersTimeout).toBe(SERVER_TIME_BOUNDS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(SERVER_TIME_BOUNDS.requestTimeoutMs);
    const fronted = await listen(server);

    const gzip = await sendRaw(fronted, {
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync('{"a":1}'),
    });
    expect(gzip.status).toBe(415);
    expect(gzip.headers['content-type']).toMatch(/^application\/problem\+json/);
    // The limit comes from the runtime config (2048 here, not the 65536 default).
    const big = await sendRaw(fronted, {
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(3000),
    });
    expect(JSON.parse(big.body)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    const ok = await sendRaw(fronted, { headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(json(ok.body)).toEqual({ parsed: null, raw: Buffer.from('{"a":1}').toString('base64') });
  });

  it('refuses, loudly, a webhook request that did not go through the front', async () => {
    const unfronted = await listen(getTestServer('guarded') as Server);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const answer = await sendRaw(unfronted, {
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'INTERNAL' });
      expect(stderr.mock.calls.some(([line]) => String(line).includes('"severity":"CRITICAL"'))).toBe(true);
    } finally {
      stderr.mockRestore();
    }
  });
});
