/**
 * `npm run bench -- --node PATH`: the bench starts the functions with the given Node binary (here a
 * wrapper script that records its arguments, then runs this Node), and refuses a binary that does
 * not run before it builds or starts anything.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamgate-bench-node-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bench --node', () => {
  it('starts a function with the given binary', async () => {
    const marker = join(dir, 'argv');
    const wrapper = join(dir, 'node');
    await writeFile(wrapper, `#!/bin/sh\necho "$@" > '${marker}'\nexec '${process.execPath}' "$@"\n`);
    await chmod(wrapper, 0o755);
    // bench/process.mjs is plain JS; a child process imports it as the bench does.
    const script = `
      const { startFunction } = await import('./bench/process.mjs');
      const fn = await startFunction({ root: process.cwd(), source: 'bench/fixtures/hello-world/index.js',
        target: 'helloWorld', signatureType: 'http', env: process.env, node: ${JSON.stringify(wrapper)} });
      const answer = await fetch(fn.url, { method: 'POST', body: 'x' });
      await fn.stop();
      console.log(JSON.stringify({ status: answer.status, listenMs: fn.listenMs }));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
      status: number;
      listenMs: number;
    };
    expect(outcome.status).toBe(200);
    expect(outcome.listenMs).toBeGreaterThan(0);
    expect(await readFile(marker, 'utf8')).toMatch(/functions-framework.*--target=helloWorld/);
  }, 90_000);

  it('refuses a binary that does not run, before starting anything', () => {
    const missing = join(dir, 'no-such-node');
    // A short run, should --node ever be ignored again (it would then bench on this Node and pass).
    const args = ['bench/run.mjs', '--no-build', '--rounds', '1', '--duration', '200', '--node', missing];
    const result = spawnSync(process.execPath, args, {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`--node ${missing} does not run`);
    expect(result.stderr).not.toContain('cold starts');
  }, 90_000);
});
