/**
 * The webhook's body front on a real HTTP server with a stand-in app: what it refuses before
 * reading, how it cuts a body at the limit and closes, the 408, and what the app receives.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../shared/core/config.js';
import { DEFAULT_MAX_BODY_BYTES, refusalByHeaders, webhookFront } from '../../../functions/webhook-front.js';
import { repeated, sendRaw } from '../../helpers/raw-http.js';

const MAX = 4096;

describe('webhook body front', () => {
  let server: Server;
  let url: string;
  /** The raw body of each request the app received. */
  const seen: Array<Buffer | undefined> = [];
  const servers: Server[] = [];

  /** A server with the front over an app that reports what it received. */
  async function frontServer(linger: {
    ms: number;
    bytes: number;
  }): Promise<{ server: Server; url: string }> {
    const app = (req: IncomingMessage & { rawBody?: Buffer }, res: ServerResponse) => {
      seen.push(req.rawBody);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ bytes: req.rawBody?.length ?? -1, readable: req.readable }));
    };
    const front = createServer(
      webhookFront(app, { maxBodyBytes: () => Promise.resolve(MAX), bodyTimeoutMs: 2_000, linger }),
    );
    servers.push(front);
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    return { server: front, url: `http://127.0.0.1:${(front.address() as AddressInfo).port}` };
  }

  beforeAll(async () => {
    vi.stubEnv('STREAMGATE_LOG_LEVEL', 'ERROR');
    ({ server, url } = await frontServer({ ms: 3_000, bytes: 64 * 1024 * 1024 }));
  });
  afterAll(async () => {
    for (const each of servers) {
      each.closeAllConnections();
      await new Promise<void>((resolve) => each.close(() => resolve()));
    }
    vi.unstubAllEnvs();
  });

  function expectProblem(
    answer: { status: number; headers: Record<string, unknown>; body: string },
    status: number,
    code: string,
  ): void {
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(answer.body) as { status: number; code: string; type: string };
    expect(body).toMatchObject({
      status,
      code,
      type: `urn:streamgate:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    });
  }

  it('hands the app the whole body as rawBody, with the stream already finished', async () => {
    const answer = await sendRaw(`${url}/jobs`, { body: repeated(Buffer.from('abcdefgh'), MAX) });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ bytes: MAX, readable: false });
    expect(seen.at(-1)?.subarray(0, 8).toString()).toBe('abcdefgh');
  });

  it('accepts identity, in any case, and an absent Content-Encoding', async () => {
    for (const encoding of ['identity', ' IDENTITY ', undefined]) {
      const headers: Record<string, string> = encoding === undefined ? {} : { 'Content-Encoding': encoding };
      expect((await sendRaw(`${url}/jobs`, { headers, body: '{}' })).status).toBe(200);
    }
  });

  it('refuses any other Content-Encoding with 415 before a byte of body arrives', async () => {
    for (const encoding of ['gzip', 'deflate', 'br', 'GZIP', 'identity, gzip', 'x-unknown']) {
      // The body is declared but never sent: only an answer given from the headers can arrive.
      const answer = await sendRaw(`${url}/jobs`, {
        headers: { 'Content-Encoding': encoding, 'Content-Length': 100 },
        body: 'hold',
        timeoutMs: 10_000,
      });
      expectProblem(answer, 415, 'UNSUPPORTED_CONTENT_ENCODING');
      expect(answer.headers.connection).toBe('close');
    }
  });

  it('refuses a Content-Length over the limit with 413 before a byte of body arrives', async () => {
    const answer = await sendRaw(`${url}/jobs`, {
      headers: { 'Content-Length': MAX + 1 },
      body: 'hold',
      timeoutMs: 10_000,
    });
    expectProblem(answer, 413, 'BODY_TOO_LARGE');
    expect(answer.headers.connection).toBe('close');
  });

  it('answers whichever check fires first when both apply', async () => {
    const answer = await sendRaw(`${url}/jobs`, {
      headers: { 'Content-Encoding': 'gzip', 'Content-Length': MAX * 100 },
      body: 'hold',
      timeoutMs: 10_000,
    });
    expect([413, 415]).toContain(answer.status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('cuts a chunked body at the limit, answers 413, and drains before closing', async () => {
    const before = seen.length;
    const total = 2 * 1024 * 1024;
    const result = await rawChunkedPost(server, total);
    expect(result.error).toBeUndefined();
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.response.toLowerCase()).toContain('connection: close');
    expect(result.response.toLowerCase()).toContain('content-type: application/problem+json');
    expect(result.response).toContain('"code":"BODY_TOO_LARGE"');
    // The server half-closed after its answer (FIN), and read the rest of the body (discarded)
    // instead of resetting a connection the client was still writing to.
    expect(result.sawEnd).toBe(true);
    expect(await result.serverBytesRead).toBeGreaterThanOrEqual(total);
    expect(seen.length).toBe(before);
  });

  it('stops reading a body past the discard bound, and closes after the linger time', async () => {
    const tight = await frontServer({ ms: 400, bytes: 128 * 1024 });
    const started = Date.now();
    const result = await rawChunkedPost(tight.server, 16 * 1024 * 1024);
    // The answer is readable; the socket is closed by the server (the client never stops writing).
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.response).toContain('"code":"BODY_TOO_LARGE"');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(await result.serverBytesRead).toBeLessThan(1024 * 1024);
  });

  it('answers 408 when the body does not arrive in time', async () => {
    const answer = await sendRaw(`${url}/jobs`, {
      headers: { 'Content-Length': 100 },
      body: 'hold',
      timeoutMs: 10_000,
    });
    expectProblem(answer, 408, 'REQUEST_TIMEOUT');
  });

  it('refuses from the headers alone, in order, and uses the schema default', () => {
    expect(refusalByHeaders({ 'content-encoding': 'gzip', 'content-length': '10' }, MAX)?.status).toBe(415);
    expect(refusalByHeaders({ 'content-length': String(MAX + 1) }, MAX)?.finding.code).toBe('BODY_TOO_LARGE');
    expect(refusalByHeaders({ 'content-length': String(MAX) }, MAX)).toBeUndefined();
    expect(refusalByHeaders({ 'content-encoding': '' }, MAX)).toBeUndefined();
    const config = parseConfig({
      project: 'demo-project',
      topics: { events: 'streamgate-events', notifications: 'batch-notifications' },
      jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
    });
    expect(DEFAULT_MAX_BODY_BYTES).toBe(config.webhook.maxBodyBytes);
  });

  /** A chunked POST of `total` bytes written at once on a raw socket, then read to the end. */
  function rawChunkedPost(
    target: Server,
    total: number,
  ): Promise<{
    response: string;
    sawEnd: boolean;
    error: Error | undefined;
    serverBytesRead: Promise<number>;
  }> {
    const { port } = target.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const client = connect(port, '127.0.0.1');
      let response = '';
      let sawEnd = false;
      let error: Error | undefined;
      const timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
      const serverBytesRead = new Promise<number>((done) => {
        target.once('connection', (socket) => socket.once('close', () => done(socket.bytesRead)));
      });
      client.on('connect', () => {
        client.write('POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent < total; sent += chunk.length) {
          client.write(`${chunk.length.toString(16)}\r\n`);
          client.write(chunk);
          client.write('\r\n');
        }
        client.write('0\r\n\r\n');
      });
      client.on('data', (data: Buffer) => (response += data.toString('latin1')));
      client.on('end', () => {
        sawEnd = true;
        client.end();
      });
      client.on('error', (e) => (error = e));
      client.on('close', () => {
        clearTimeout(timer);
        resolve({ response, sawEnd, error, serverBytesRead });
      });
    });
  }
});
