/**
 * A startup that fails halfway leaves nothing behind: here only `webhook` can start (the source
 * registers no other function), so startStack must stop the webhook process and close the
 * stand-ins before it rethrows.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answersOn, FREE_PORTS } from '../../infra/local/ports.js';
import { FAST_TIMINGS, repositoryRoot, startStack } from '../../infra/local/stack.js';

const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** PIDs whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(text)) found.push(Number(entry));
  }
  return found;
}

describe('startStack failing halfway', () => {
  it('stops the functions that did start and closes the stand-ins', async () => {
    const root = await mkdtemp(join(tmpdir(), 'streamgate-broken-root-'));
    dirs.push(root);
    await symlink(join(repositoryRoot(), 'node_modules'), join(root, 'node_modules'), 'dir');
    await writeFile(join(root, 'package.json'), '{"type":"module"}\n');
    await mkdir(join(root, 'functions'));
    await writeFile(
      join(root, 'functions', 'index.ts'),
      "import * as ff from '@google-cloud/functions-framework';\n" +
        "ff.http('webhook', (_req, res) => { res.status(204).end(); });\n",
    );
    const pubsubPort = await freePort();
    const registryPort = await freePort();

    await expect(
      startStack({
        root,
        stateDir: join(root, '.streamgate'),
        ports: { ...FREE_PORTS, pubsub: pubsubPort, registry: registryPort },
        batchTimings: FAST_TIMINGS,
      }),
    ).rejects.toThrow(/failed to start \(LOAD_FAILED\)/);

    expect(await processesMentioning(root)).toEqual([]);
    expect(await answersOn(pubsubPort)).toBe(false);
    expect(await answersOn(registryPort)).toBe(false);
    const log = await readFile(join(root, '.streamgate', 'logs', 'onImagePush.log'), 'utf8');
    expect(log).toContain('was not registered');
  }, 60_000);
});
