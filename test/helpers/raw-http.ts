/**
 * HTTP requests with full control of the body on the wire (streamed, chunked, declared but never
 * sent), which fetch cannot give: the answer is read as soon as it arrives, even while the body is
 * still being sent, and the request is then abandoned.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string | number>;
  /** A stream is piped (chunked unless Content-Length is set); `'hold'` sends headers only. */
  body?: Buffer | string | Readable | 'hold';
  timeoutMs?: number;
}

/**
 * Sends one request on its own connection and resolves with the complete answer (body capped at
 * 1 MiB), or rejects when the connection fails first or `timeoutMs` (default 20 s) passes.
 *
 * @example
 *   const answer = await sendRaw(`${url}/jobs`, { headers: { 'Content-Length': 1e9 }, body: 'hold' });
 *   expect(answer.status).toBe(413);
 */
export function sendRaw(url: string, options: RawRequest = {}): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined, answer?: RawAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers, agent: false });
    const timer = setTimeout(
      () => settle(new Error(`no complete answer from ${url} within ${options.timeoutMs ?? 20_000} ms`)),
      options.timeoutMs ?? 20_000,
    );
    req.on('error', (error) => settle(error));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1_048_576) body += chunk;
      });
      res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (error) => settle(error));
    });
    const body = options.body;
    if (body === 'hold') req.flushHeaders();
    else if (body instanceof Readable) {
      body.on('error', () => undefined);
      body.pipe(req);
    } else req.end(body);
  });
}

/**
 * A stream of `total` bytes that reuses one chunk, so a large body costs no memory.
 *
 * @example
 *   sendRaw(url, { body: repeated(Buffer.alloc(65536, 0x20), 30 * 1024 * 1024) })
 */
export function repeated(chunk: Buffer, total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const part = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
      sent += part.length;
      this.push(part);
    },
  });
}
