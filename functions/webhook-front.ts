/**
 * The webhook's body front: it reads each request body itself, bounded in size and time, before
 * functions-framework's Express app sees the request. body-parser skips a request whose stream is
 * already finished, so the framework's parsers (1 GiB limit, gzip/deflate/br inflated) never run,
 * and the handler finds the bytes in `req.rawBody` as before.
 */
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Finding } from '../shared/core/reason-codes.js';
import { problem, writeProblem } from './problem.js';
import { baseLogger, getRuntime } from './runtime.js';

/** `webhook.maxBodyBytes` when the config cannot load (the schema's default). */
export const DEFAULT_MAX_BODY_BYTES = 65_536;

/** A refusal the front answers itself. */
export interface Refusal {
  status: 408 | 413 | 415;
  finding: Finding;
}

export interface FrontOptions {
  /** The body limit, asked per request so a fixed config is picked up. */
  maxBodyBytes(): Promise<number>;
  /** How long the whole body may take to arrive. */
  bodyTimeoutMs: number;
  /** After refusing a body still on the wire: discard this much input, close after this long. */
  linger: { ms: number; bytes: number };
}

const DEFAULT_OPTIONS: FrontOptions = {
  maxBodyBytes: configuredMaxBodyBytes,
  bodyTimeoutMs: 10_000,
  linger: { ms: 2_000, bytes: 262_144 },
};

/** `webhook.maxBodyBytes` from the runtime config, else the default (getRuntime logs why). */
async function configuredMaxBodyBytes(): Promise<number> {
  try {
    return (await getRuntime()).config.webhook.maxBodyBytes;
  } catch {
    return DEFAULT_MAX_BODY_BYTES;
  }
}

const tooLarge = (max: number): Refusal => ({
  status: 413,
  finding: { code: 'BODY_TOO_LARGE', message: `The body is larger than ${max} bytes.` },
});

/**
 * What the headers alone refuse, before a byte of body is read: a `Content-Encoding` other than
 * `identity` (415), then a `Content-Length` above the limit (413).
 *
 * @example
 *   refusalByHeaders({ 'content-encoding': 'gzip' }, 65536) // { status: 415, finding: { code: 'UNSUPPORTED_CONTENT_ENCODING', … } }
 */
export function refusalByHeaders(headers: IncomingHttpHeaders, maxBodyBytes: number): Refusal | undefined {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    return {
      status: 415,
      finding: {
        code: 'UNSUPPORTED_CONTENT_ENCODING',
        message: 'Send the body uncompressed: Content-Encoding must be absent or identity.',
      },
    };
  }
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBodyBytes) return tooLarge(maxBodyBytes);
  return undefined;
}

type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'refused'; refusal: Refusal } | { kind: 'gone' };

/**
 * Reads the body, holding at most `maxBodyBytes`: one byte more refuses with 413, and a body
 * still incomplete after `timeoutMs` with 408. A client that goes away yields `gone`.
 */
function readBody(req: IncomingMessage, maxBodyBytes: number, timeoutMs: number): Promise<BodyRead> {
  return new Promise<BodyRead>((resolve) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      if (result.kind !== 'body') req.pause();
      chunks = [];
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBodyBytes) finish({ kind: 'refused', refusal: tooLarge(maxBodyBytes) });
      else chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish({ kind: 'body', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onGone = (): void => finish({ kind: 'gone' });
    const timer = setTimeout(() => {
      const message = `The body did not arrive within ${timeoutMs / 1000} s; send it again.`;
      finish({ kind: 'refused', refusal: { status: 408, finding: { code: 'REQUEST_TIMEOUT', message } } });
    }, timeoutMs);
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onGone);
  });
}

/**
 * Answers a refusal and closes the connection. A body may still be on the wire, and closing a
 * socket with unread input sends a reset that can destroy the answer before the client reads it,
 * so the close lingers (RFC 9112 §9.6).
 */
function sendRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  refusal: Refusal,
  options: FrontOptions,
): void {
  const correlationId = randomUUID();
  baseLogger
    .child({ function: 'webhook', correlationId })
    .warn('webhook body refused before the function ran', {
      code: refusal.finding.code,
      status: refusal.status,
    });
  if (!req.complete && req.socket instanceof Socket) lingeringClose(req, res, req.socket, options.linger);
  writeProblem(res, problem(refusal.status, [refusal.finding], correlationId), { Connection: 'close' });
}

/**
 * After the answer: half-close, and discard (never keep) the rest of the body, up to
 * `linger.bytes`; past that, stop reading. The socket closes once the body has ended or the
 * client has gone, and after `linger.ms` at the latest: by then the client has had time to read
 * the answer, which a reset sent while it was still writing could have destroyed. (Node ends a
 * `Connection: close` response with `socket.destroySoon()`; on this socket that only half-closes.)
 */
function lingeringClose(
  req: IncomingMessage,
  res: ServerResponse,
  socket: Socket,
  linger: FrontOptions['linger'],
): void {
  let discarded = 0;
  const timer = setTimeout(() => socket.destroy(), linger.ms).unref();
  socket.destroySoon = () => socket.end();
  socket.once('close', () => clearTimeout(timer));
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > linger.bytes) req.pause();
  });
  req.once('end', () => {
    if (res.writableFinished) socket.destroy();
    else res.once('finish', () => socket.destroy());
  });
  req.resume();
}

/**
 * Wraps the framework's app: headers checked, body read within its bounds into `req.rawBody`,
 * then the app runs (its body parsers skip the finished request).
 *
 * @example
 *   http.createServer(webhookFront(app)).listen(8080);
 */
export function webhookFront(app: RequestListener, options: FrontOptions = DEFAULT_OPTIONS): RequestListener {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const max = await options.maxBodyBytes();
    const early = refusalByHeaders(req.headers, max);
    if (early) return sendRefusal(req, res, early, options);
    const read = await readBody(req, max, options.bodyTimeoutMs);
    if (read.kind === 'gone') {
      req.socket.destroy();
      return;
    }
    if (read.kind === 'refused') return sendRefusal(req, res, read.refusal, options);
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = read.body;
    app(req, res);
  };
  return (req, res) => {
    serve(req, res).catch((error: unknown) => {
      baseLogger.child({ function: 'webhook' }).error('webhook front failed', { error });
      if (!res.headersSent) {
        const finding: Finding = { code: 'INTERNAL', message: 'An internal error occurred.' };
        writeProblem(res, problem(500, [finding]), { Connection: 'close' });
      } else res.destroy();
    });
  };
}
