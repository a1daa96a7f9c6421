/**
 * `npm start` as a process: it comes up on free ports, writes its endpoints file, and on SIGTERM
 * stops every child, removes the file and exits 0. A busy port ends it at once with exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StackEndpointsSchema } from '../../infra/local/stack-config.js';
import { repositoryRoot } from '../../infra/local/stack.js';

const BIN = join(repositoryRoot(), 'bin', 'streamgate-stack');
const started: ChildProcess[] = [];
const dirs: string[] = [];

interface Run {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runStack(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: repositoryRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => ({ stdout, stderr }), exit };
}

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamgate-stack-'));
  dirs.push(dir);
  return dir;
}

/** Direct children of `pid`, read from /proc (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('streamgate-stack process', () => {
  it('comes up on free ports and shuts down cleanly on SIGTERM', async () => {
    const dir = await stateDir();
    const run = runStack(['--port-base', '0', '--fast', '--state-dir', dir]);
    const endpointsFile = join(dir, 'local-stack.json');
    const up = await until(() => existsSync(endpointsFile) || run.child.exitCode !== null, 60_000);
    expect(up && existsSync(endpointsFile), run.output().stderr).toBe(true);
    const endpoints = StackEndpointsSchema.parse(JSON.parse(await readFile(endpointsFile, 'utf8')));
    // stdout is the same JSON, nothing else.
    await until(() => run.output().stdout.trim().endsWith('}'), 30_000);
    expect(JSON.parse(run.output().stdout)).toEqual(endpoints);

    const children = await childrenOf(run.child.pid!);
    // Four function processes (plus, from source, tsx's esbuild service).
    const hosts = [];
    for (const pid of children) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('function-host')) hosts.push(pid);
    }
    expect(hosts).toHaveLength(4);

    run.child.kill('SIGTERM');
    const { code } = await run.exit;
    expect(code, run.output().stderr).toBe(0);
    expect(existsSync(endpointsFile)).toBe(false);
    expect(await until(() => children.every((pid) => !alive(pid)), 30_000)).toBe(true);
  }, 90_000);

  it('exits 2 naming the port when a port is busy', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = runStack([
        '--port-base',
        '0',
        '--registry-port',
        String(port),
        '--state-dir',
        await stateDir(),
      ]);
      const { code } = await run.exit;
      expect(code).toBe(2);
      const { stderr } = run.output();
      expect(stderr).toContain(`port ${port} (registry) is already in use`);
      expect(stderr).toContain('--port-base');
      expect(stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 30_000);
});
