/* global setTimeout, clearTimeout, performance, fetch, AbortSignal */
/**
 * Spawns one function the way production does (functions-framework's main.js with --target,
 * --signature-type, --port, --source), times it from spawn to "listening" and to its first 2xx,
 * reads its CPU and peak RSS from /proc, and stops it by process group.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const FF_MAIN = join('node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
/** functions-framework prints this in its listen callback, i.e. once the port accepts connections. */
const LISTENING_LINE = 'Serving function...';
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux; /proc stat times are in these ticks

/** A free port on 127.0.0.1 (closed again before the child binds it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a function process and resolves once it listens, with `listenMs` measured from spawn.
 * Rejects (after killing the child) when it exits first or does not listen within `timeoutMs`.
 * `node` is the binary that runs it (default: the bench's own), e.g. the deployed runtime's Node;
 * `nodeArgs` go before the script (e.g. `--cpu-prof`).
 *
 * @example
 *   const fn = await startFunction({ root, source: 'dist/functions/index.js', target: 'webhook',
 *     signatureType: 'http', env, node: '/tmp/node24/bin/node' });
 */
export async function startFunction({
  root,
  source,
  target,
  signatureType,
  env,
  node = process.execPath,
  nodeArgs = [],
  timeoutMs = 30_000,
}) {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawn(
    node,
    [
      ...nodeArgs,
      FF_MAIN,
      `--target=${target}`,
      `--signature-type=${signatureType}`,
      `--port=${port}`,
      `--source=${source}`,
    ],
    { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk) => {
    // Only the start of the output matters (diagnostics); the rest is drained and dropped.
    if (output.length < 8_000) output += chunk.toString('utf8');
  };
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const fn = {
    target,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    spawnedAt,
    listenMs: NaN,
    output: () => output,
    stop: () => stopGroup(child, exited),
  };
  try {
    fn.listenMs = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${target} did not listen in ${timeoutMs} ms`)),
        timeoutMs,
      );
      let seen = '';
      child.stdout.on('data', (chunk) => {
        keep(chunk);
        if (seen !== null) {
          seen += chunk.toString('utf8');
          if (seen.includes(LISTENING_LINE)) {
            seen = null;
            clearTimeout(timer);
            resolve(performance.now() - spawnedAt);
          }
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${target} exited (${code}) before listening:\n${output}`));
      });
    });
  } catch (error) {
    await fn.stop();
    throw error;
  }
  return fn;
}

/**
 * Sends `send()` until it answers 2xx (the first event may find clients still loading; anything
 * else is a bench failure). Returns ms from the function's spawn to that answer.
 */
export async function timeFirst2xx(fn, send, timeoutMs = 30_000) {
  const response = await send(AbortSignal.timeout(timeoutMs));
  const at = performance.now();
  const body = await response.text();
  if (response.status < 200 || response.status > 299) {
    throw new Error(
      `${fn.target}: first event answered ${response.status}: ${body.slice(0, 500)}\n${fn.output()}`,
    );
  }
  return at - fn.spawnedAt;
}

/** utime + stime of a process in ms, from /proc/<pid>/stat. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set (VmHWM) of a process in MiB, from /proc/<pid>/status. */
export function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return kib / 1024;
}

/** SIGTERM to the child's group, SIGKILL after 2 s; resolves once it has exited. */
async function stopGroup(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signal(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signal(child.pid, 'SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
  signal(child.pid, 'SIGKILL');
}

function signal(pid, name) {
  try {
    process.kill(-pid, name);
  } catch {
    // ESRCH: already gone.
  }
}

/** POSTs a body with headers (used for every event the bench sends). */
export function post(url, body, headers, signal) {
  return fetch(url, { method: 'POST', headers, body, signal });
}
