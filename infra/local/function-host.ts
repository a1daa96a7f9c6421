/**
 * Child-process entry that serves ONE function with functions-framework's own server
 * (`getTestServer` builds the same Express app as the `functions-framework` CLI), but bound to
 * 127.0.0.1 only: the CLI listens on every interface and has no host flag.
 *
 * Usage (spawned by function-process.ts, with an IPC channel):
 *   node [--import tsx] function-host.(ts|js) --target=webhook --port=8083 --source=functions/index.ts
 *
 * It reports `{ type: 'ready', port }` or `{ type: 'failed', code, message }` over IPC, and exits
 * when the parent goes away (the IPC channel closes), so a killed stack leaves no orphans.
 */
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export type HostMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; code: 'EADDRINUSE' | 'LOAD_FAILED' | 'LISTEN_FAILED'; message: string };

function report(message: HostMessage): void {
  if (process.send) process.send(message);
}

/** Reports the failure, then exits 1 once the message is out (or after 1 s at most). */
function fail(code: Extract<HostMessage, { type: 'failed' }>['code'], error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`function-host: ${code}: ${detail}\n`);
  const message: HostMessage = {
    type: 'failed',
    code,
    message: error instanceof Error ? error.message : String(error),
  };
  setTimeout(() => process.exit(1), 1_000).unref();
  if (process.send) process.send(message, () => process.exit(1));
  else process.exit(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { target: { type: 'string' }, port: { type: 'string' }, source: { type: 'string' } },
  });
  const target = values.target;
  const source = values.source;
  const port = Number(values.port ?? '0');
  if (!target || !source || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail('LOAD_FAILED', new Error('usage: function-host --target=NAME --port=N --source=FILE'));
    return;
  }
  // The parent is gone: nothing will ever stop us, so stop now.
  process.on('disconnect', () => process.exit(0));

  let server: Server;
  try {
    await import(pathToFileURL(source).href);
    const { getTestServer } = await import('@google-cloud/functions-framework/testing');
    server = getTestServer(target) as Server;
  } catch (error) {
    fail('LOAD_FAILED', error);
    return;
  }
  // A stray error in one request must not take the local function down; the log keeps it.
  process.on('uncaughtException', (error) => process.stderr.write(`uncaught exception: ${error.stack}\n`));
  process.on('unhandledRejection', (reason) =>
    process.stderr.write(`unhandled rejection: ${String(reason)}\n`),
  );

  server.once('error', (error: NodeJS.ErrnoException) =>
    fail(error.code === 'EADDRINUSE' ? 'EADDRINUSE' : 'LISTEN_FAILED', error),
  );
  server.listen(port, '127.0.0.1', () => {
    server.setTimeout(0);
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    process.stdout.write(`serving ${target} on http://127.0.0.1:${bound}/\n`);
    report({ type: 'ready', port: bound });
  });
  const stop = () => {
    // Pub/Sub push keeps connections alive; cut them so close() finishes at once.
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
