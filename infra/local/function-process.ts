/**
 * Runs one Cloud Function in its own child process (function-host.ts over functions-framework),
 * with its output in a log file, and stops it by process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostMessage } from './function-host.js';
import { answersOn, PortBusyError, type FunctionName } from './ports.js';

export interface FunctionProcessOptions {
  name: FunctionName;
  /** 0 lets the child pick a free port. */
  port: number;
  /** Repository root (holds functions/ or dist/functions/). */
  root: string;
  /** Added to the parent's environment. */
  env: Record<string, string>;
  /** stdout and stderr of the child go here (appended). */
  logFile: string;
  /** How long to wait for the function to answer HTTP (default 60 s). */
  readyTimeoutMs?: number;
}

export interface FunctionProcess {
  name: FunctionName;
  pid: number;
  port: number;
  url: string;
  /** Resolves with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM to the child's process group, SIGKILL after `graceMs` (default 3 s). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * How to start a function host: compiled JS from dist/ when this file itself runs compiled,
 * otherwise the TypeScript sources through tsx.
 */
function hostCommand(root: string): { args: string[]; source: string } {
  const here = fileURLToPath(import.meta.url);
  const compiled = here.endsWith('.js');
  const host = join(dirname(here), compiled ? 'function-host.js' : 'function-host.ts');
  const source = compiled
    ? join(dirname(here), '..', '..', 'functions', 'index.js')
    : join(root, 'functions', 'index.ts');
  // tsx resolved from here, not from the child's cwd, so any root works.
  const tsx = () => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { args: compiled ? [host] : ['--import', tsx(), host], source };
}

/**
 * Starts the function and resolves once it answers HTTP on 127.0.0.1. On failure the child is
 * already gone; a busy port is reported as PortBusyError.
 *
 * @example
 *   const fn = await startFunctionProcess({ name: 'webhook', port: 0, root, env, logFile });
 *   await fetch(`${fn.url}/jobs/x`);
 *   await fn.stop();
 */
export async function startFunctionProcess(options: FunctionProcessOptions): Promise<FunctionProcess> {
  const { name, root } = options;
  const { args, source } = hostCommand(root);
  if (!existsSync(source)) throw new Error(`cannot start ${name}: ${source} does not exist`);
  mkdirSync(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  // FUNCTION_TARGET as Cloud Functions sets it: index.ts fronts the webhook when it names `webhook`.
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, FUNCTION_TARGET: name };
  // The inline config would win over the stack's STREAMGATE_CONFIG file.
  if (!('STREAMGATE_CONFIG_JSON' in options.env)) delete env.STREAMGATE_CONFIG_JSON;
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [...args, `--target=${name}`, `--port=${options.port}`, `--source=${source}`],
      {
        cwd: root,
        env,
        // Own process group, so stop() reaches anything the child may start.
        detached: true,
        stdio: ['ignore', logFd, logFd, 'ipc'],
      },
    );
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${name}: spawn failed`);

  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 3_000): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The host never forks, but its group may still hold a straggler: make sure.
      signalGroup(pid, 'SIGKILL');
      if (child.connected) child.disconnect();
    })();
    return stopping;
  };

  try {
    const port = await waitForReady(child, exited, name, options.port, options.readyTimeoutMs ?? 60_000);
    const url = `http://127.0.0.1:${port}`;
    await waitForPort(port, exited, options.readyTimeoutMs ?? 60_000, name, options.logFile);
    return { name, pid, port, url, exited, stop };
  } catch (error) {
    await stop(500);
    throw error;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function waitForReady(
  child: ChildProcess,
  exited: Promise<number | string>,
  name: FunctionName,
  port: number,
  timeoutMs: number,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.on('message', (raw) => {
      const message = raw as HostMessage;
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(
          message.code === 'EADDRINUSE'
            ? new PortBusyError(name, port)
            : new Error(`${name} failed to start (${message.code}): ${message.message}`),
        );
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready`));
    });
  });
}

/**
 * Polls until the function's port accepts a connection (bounded by time). A TCP probe rather than
 * an HTTP request: a request would invoke the function itself with an empty event.
 */
async function waitForPort(
  port: number,
  exited: Promise<number | string>,
  timeoutMs: number,
  name: string,
  logFile: string,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    if (await answersOn(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} does not answer on 127.0.0.1:${port}; see ${logFile}`);
}
