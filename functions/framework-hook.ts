/**
 * The one adjustment streamgate makes to functions-framework: in the process that serves
 * `webhook`, the framework's Express app is wrapped in our body front (webhook-front.ts) before
 * its body parsers (1 GiB limit, gzip/deflate/br inflated, no option to change either) can touch
 * a request.
 *
 * It relies on three facts of functions-framework 5, each checked by
 * test/unit/functions/framework-hook.test.ts: the framework loads our module before it builds its
 * server (on Cloud Functions and locally alike); `getServer` creates that server with
 * `http.createServer(app)`, looked up at call time; body-parser skips a request whose stream is
 * already finished. On any other major version the hook refuses to arm and the process fails to
 * start, rather than serve an unbounded webhook.
 *
 * Kept cheap to import (functions/index.ts loads it): the front itself loads on first request.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createLogger } from '../shared/adapters/logger.js';
import { memoizePromise } from '../shared/adapters/memoize.js';
import { StreamgateError } from '../shared/core/errors.js';
import type { Finding } from '../shared/core/reason-codes.js';
import { problem, writeProblem } from './problem.js';

/** The functions-framework versions whose internals the hook was checked against: ^5.0.0. */
export const SUPPORTED_FRAMEWORK = /^5\.\d+\.\d+$/;
const FRAMEWORK = '@google-cloud/functions-framework';

const logger = createLogger({ service: 'streamgate', function: 'webhook' });
/** Requests that went through the front; anything else reaching the webhook is a hook failure. */
const fronted = new WeakSet<IncomingMessage>();
let armed = false;

/**
 * The installed functions-framework version, read from its package.json (which its `exports`
 * does not expose, so it is found next to its entry point).
 */
export function frameworkVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve(FRAMEWORK));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === FRAMEWORK && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${FRAMEWORK}`);
    dir = parent;
  }
}

/**
 * Arms a one-shot hook: the next `http.createServer` call given an Express app (the framework's
 * `getServer`) gets the app wrapped in the webhook's body front; `http.createServer` is restored
 * at once. Call it before the framework builds the webhook's server. Throws (after a CRITICAL log)
 * on an unsupported functions-framework version (`version`: the installed one; tests pass others).
 *
 * @example
 *   installWebhookFront();
 *   const server = getTestServer('webhook'); // its app now runs behind the front
 */
export function installWebhookFront(version: string = frameworkVersion()): void {
  if (!SUPPORTED_FRAMEWORK.test(version)) {
    const message = `${FRAMEWORK} ${version} is not a version the webhook's body front was checked against (^5.0.0); refusing to serve an unbounded webhook`;
    logger.critical(message, { code: 'INTERNAL', version });
    throw new StreamgateError('INTERNAL', message, { kind: 'permanent', details: { version } });
  }
  if (armed) return;
  armed = true;
  const target = http as { createServer: (...args: unknown[]) => http.Server };
  const original = target.createServer;
  target.createServer = (...args: unknown[]) => {
    const at = args.findIndex(isExpressApp);
    if (at < 0) return original.apply(http, args);
    target.createServer = original;
    armed = false;
    args[at] = frontedListener(args[at] as RequestListener);
    return boundInTime(original.apply(http, args));
  };
}

/**
 * Headers and the whole request must arrive in bounded time too (Node's defaults are 60 s and
 * 300 s); the front's own body deadline is shorter still.
 */
export const SERVER_TIME_BOUNDS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 } as const;

function boundInTime(server: http.Server): http.Server {
  server.headersTimeout = SERVER_TIME_BOUNDS.headersTimeoutMs;
  server.requestTimeout = SERVER_TIME_BOUNDS.requestTimeoutMs;
  return server;
}

/** Express apps are functions carrying `handle` and `use`; plain listeners are left alone. */
function isExpressApp(value: unknown): boolean {
  const app = value as { handle?: unknown; use?: unknown } | null;
  return typeof value === 'function' && typeof app?.handle === 'function' && typeof app.use === 'function';
}

function frontedListener(app: RequestListener): RequestListener {
  const inner: RequestListener = (req, res) => {
    fronted.add(req);
    app(req, res);
  };
  // A failed import is forgotten, so the next request tries again.
  const front = memoizePromise(() =>
    import('./webhook-front.js').then((module) => module.webhookFront(inner)),
  );
  return (req, res) => {
    front().then(
      (serve) => serve(req, res),
      (error: unknown) => unavailable(res, 'the webhook body front failed to load', error),
    );
  };
}

/**
 * True when the request went through the front. Otherwise answers 500, logs CRITICAL and returns
 * false: a webhook without its body bound fails closed (the hook was not armed for this server, or
 * functions-framework changed how it builds it).
 *
 * @example
 *   functionsFramework.http('webhook', async (req, res) => { if (passedFront(req, res)) … });
 */
export function passedFront(req: IncomingMessage, res: ServerResponse): boolean {
  if (fronted.has(req)) return true;
  unavailable(res, 'a webhook request bypassed the body front; refused', undefined);
  return false;
}

function unavailable(res: ServerResponse, why: string, error: unknown): void {
  logger.critical(why, { code: 'INTERNAL', ...(error === undefined ? {} : { error }) });
  const finding: Finding = {
    code: 'INTERNAL',
    message: 'The webhook is misdeployed; the operator was alerted.',
  };
  if (!res.headersSent) writeProblem(res, problem(500, [finding]), { Connection: 'close' });
}
