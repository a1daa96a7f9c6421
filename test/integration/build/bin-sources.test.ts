/**
 * bin/streamgate and bin/streamgate-stack run the TypeScript sources, never a (possibly stale)
 * dist/; and an installation without the local stand-ins (infra/local) says what is missing
 * instead of crashing with a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/** A copy of the checkout's runtime folders (node_modules linked), without `omit`. */
async function copyCheckout(omit: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamgate-bin-'));
  scratch.push(dir);
  for (const path of ['bin', 'cli', 'functions', 'shared', 'infra/local', 'package.json', 'tsconfig.json']) {
    if (!omit.includes(path)) await cp(join(ROOT, path), join(dir, path), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const run = (dir: string, script: string, args: string[]) =>
  spawnSync(process.execPath, [join(dir, 'bin', script), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('bin/*', () => {
  it('run the sources even when a stale dist/ exists', async () => {
    const dir = await copyCheckout([]);
    const stale = 'export async function main() { console.log("STALE BUILD"); return 0; }\n';
    await mkdir(join(dir, 'dist', 'cli'), { recursive: true });
    await writeFile(join(dir, 'dist', 'cli', 'main.js'), stale);
    await mkdir(join(dir, 'dist', 'infra', 'local'), { recursive: true });
    await writeFile(
      join(dir, 'dist', 'infra', 'local', 'stack-main.js'),
      'export async function runStackMain() { console.log("STALE BUILD"); return 0; }\n',
    );
    const cli = run(dir, 'streamgate', ['--help']);
    expect(cli.stdout).not.toContain('STALE BUILD');
    expect(cli.stdout).toContain('streamgate demo');
    expect(cli.status).toBe(0);
    const stack = run(dir, 'streamgate-stack', ['--help']);
    expect(stack.stdout).not.toContain('STALE BUILD');
    expect(stack.status).toBe(0);
  }, 240_000);

  it('say clearly that an installation without infra/local cannot run the demo', async () => {
    const dir = await copyCheckout(['infra/local']);
    const result = run(dir, 'streamgate', ['demo']);
    expect(result.stderr).toContain('needs the local stand-ins (infra/local)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(2);
  }, 120_000);
});
