/**
 * `npm start -- --webhook-secret <key>` refuses a key the functions would refuse, before anything
 * starts: no stand-in, no function process, not even the state folder.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FREE_PORTS } from '../../infra/local/ports.js';
import { startStack } from '../../infra/local/stack.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('startStack with a short webhook key', () => {
  it('refuses it with CONFIG_INVALID before starting anything', async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamgate-short-key-'));
    const stateDir = join(dir, '.streamgate');
    const started = startStack({ stateDir, ports: FREE_PORTS, webhookSecret: 's3cret' });
    await expect(started).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/key 1 of 1 is shorter than 32 bytes/),
    });
    await expect(started).rejects.not.toThrow(/s3cret/);
    await expect(access(stateDir)).rejects.toThrow(/ENOENT/);
  });
});
