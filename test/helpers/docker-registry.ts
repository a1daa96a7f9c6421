/**
 * Runs Debian's real `docker-registry` (distribution 2.8) on 127.0.0.1 for contract tests: a
 * temp config, filesystem storage in a temp dir, a free port; waits for `/v2/` and stops it after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOCKER_REGISTRY_BINARY = process.env.STREAMGATE_DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

function dockerRegistryAvailable(): boolean {
  return existsSync(DOCKER_REGISTRY_BINARY);
}

export interface RunningDockerRegistry {
  url: string;
  port: number;
  /** Everything the registry wrote to stderr/stdout (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the registry binary cannot be told to pick one). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the registry and resolves once `GET /v2/` answers 200 (at most `readyTimeoutMs`).
 *
 * @example
 *   const registry = await startDockerRegistry();
 *   try { ... } finally { await registry.stop(); }
 */
export async function startDockerRegistry(
  options: { readyTimeoutMs?: number } = {},
): Promise<RunningDockerRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'streamgate-registry-'));
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);

  let output = '';
  const child: ChildProcess = spawn(DOCKER_REGISTRY_BINARY, ['serve', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (let attempt = 0; attempt < 1_200 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return { url, port, output: () => output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`docker-registry did not become ready on ${url}:\n${output}`);
}

/**
 * A test tier that needs Debian's `docker-registry`. Where the binary is missing it is skipped
 * loudly (a banner and a SKIPPED title); with `CI=true` a missing binary fails the run instead,
 * because CI installs it and a quiet skip would hide a broken install step.
 *
 * @example
 *   describeDockerRegistryTier('real docker-registry 2.8: push, resolve, judge', () => { … });
 */
export function describeDockerRegistryTier(title: string, body: () => void): void {
  const available = dockerRegistryAvailable();
  const inCi = process.env.CI === 'true';
  if (!available && !inCi) {
    console.warn(
      [
        '',
        '################################################################################',
        `#  SKIPPING "${title}": ${DOCKER_REGISTRY_BINARY} is missing.`,
        '#  Install Debian\'s "docker-registry" package to run it (CI installs it).',
        '################################################################################',
        '',
      ].join('\n'),
    );
  }
  describe(`${title}: docker-registry availability`, () => {
    it(`${DOCKER_REGISTRY_BINARY} is installed, or this is not CI`, () => {
      expect(available || !inCi).toBe(true);
    });
  });
  describe.skipIf(!available)(
    available ? title : `SKIPPED: ${title} (${DOCKER_REGISTRY_BINARY} not installed)`,
    body,
  );
}
