import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_PATH,
  loadConfig,
  loadWebhookSecrets,
  MIN_WEBHOOK_KEY_BYTES,
  resetConfigCache,
} from '../../../shared/adapters/config-loader.js';
import type { StreamgateError } from '../../../shared/core/errors.js';

const config = {
  project: 'demo-project',
  topics: { events: 'streamgate-events', notifications: 'batch-notes' },
  jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamgate-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => resetConfigCache());

async function failure(promise: Promise<unknown>): Promise<StreamgateError> {
  try {
    await promise;
  } catch (error) {
    return error as StreamgateError;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it("adds STREAMGATE_REPAIR_REPOSITORIES to the config's repairRepositories, and checks them", async () => {
    const inline = JSON.stringify({ ...config, repairRepositories: ['us-docker.pkg.dev/p/a'] });
    const loaded = await loadConfig({
      env: {
        STREAMGATE_CONFIG_JSON: inline,
        STREAMGATE_REPAIR_REPOSITORIES: ' us-central1-docker.pkg.dev/p/b ,,us-docker.pkg.dev/p/a',
      },
    });
    expect(loaded.repairRepositories).toEqual(['us-docker.pkg.dev/p/a', 'us-central1-docker.pkg.dev/p/b']);
    resetConfigCache();
    const bad = await failure(
      loadConfig({
        env: { STREAMGATE_CONFIG_JSON: inline, STREAMGATE_REPAIR_REPOSITORIES: 'not a repository' },
      }),
    );
    expect(bad.code).toBe('CONFIG_INVALID');
    resetConfigCache();
    expect(
      (await loadConfig({ env: { STREAMGATE_CONFIG_JSON: JSON.stringify(config) } })).repairRepositories,
    ).toEqual([]);
  });

  it('reads the file named by STREAMGATE_CONFIG', async () => {
    const path = join(dir, 'a.json');
    await writeFile(path, JSON.stringify({ ...config, project: 'file-project' }));
    const loaded = await loadConfig({ env: { STREAMGATE_CONFIG: path } });
    expect(loaded.project).toBe('file-project');
    expect(loaded.webhook.maxBodyBytes).toBe(65536);
  });

  it('prefers inline STREAMGATE_CONFIG_JSON over the file', async () => {
    const reads: string[] = [];
    const loaded = await loadConfig({
      env: {
        STREAMGATE_CONFIG_JSON: JSON.stringify({ ...config, project: 'inline-project' }),
        STREAMGATE_CONFIG: '/nope.json',
      },
      readFile: async (p) => {
        reads.push(p);
        return '{}';
      },
    });
    expect(loaded.project).toBe('inline-project');
    expect(reads).toEqual([]);
  });

  it('defaults to ./streamgate.config.json', async () => {
    const reads: string[] = [];
    await loadConfig({
      env: {},
      readFile: async (p) => {
        reads.push(p);
        return JSON.stringify(config);
      },
    });
    expect(reads).toEqual([DEFAULT_CONFIG_PATH]);
  });

  it('memoizes per source until reset', async () => {
    let reads = 0;
    const readFile = async (): Promise<string> => {
      reads += 1;
      return JSON.stringify(config);
    };
    const env = { STREAMGATE_CONFIG: '/memo.json' };
    const first = await loadConfig({ env, readFile });
    expect(await loadConfig({ env, readFile })).toBe(first);
    expect(reads).toBe(1);
    resetConfigCache();
    await loadConfig({ env, readFile });
    expect(reads).toBe(2);
  });

  it('names the file when it is not JSON, and does not cache the failure', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ "project": ');
    const error = await failure(loadConfig({ env: { STREAMGATE_CONFIG: path } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.kind).toBe('permanent');
    expect(error.message).toContain(path);
    expect(error.message).toContain('not valid JSON');
    await writeFile(path, JSON.stringify(config));
    expect((await loadConfig({ env: { STREAMGATE_CONFIG: path } })).project).toBe('demo-project');
  });

  it('lists every schema issue by path', async () => {
    const bad = { ...config, policy: { maxTaskCount: 'ten' }, webhook: { toleranceSeconds: 0 } };
    const error = await failure(loadConfig({ env: { STREAMGATE_CONFIG_JSON: JSON.stringify(bad) } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('policy.maxTaskCount: expected number, received string');
    expect(error.message).toContain('webhook.toleranceSeconds:');
    expect(error.message).toContain('STREAMGATE_CONFIG_JSON');
  });

  it('reports a missing file as CONFIG_INVALID', async () => {
    const error = await failure(loadConfig({ env: { STREAMGATE_CONFIG: join(dir, 'missing.json') } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('missing.json');
  });
});

describe('loadWebhookSecrets', () => {
  const k1 = 'a'.repeat(MIN_WEBHOOK_KEY_BYTES);
  const k2 = 'b'.repeat(40);
  const k3 = 'c'.repeat(64);

  function refusal(value: string): StreamgateError {
    try {
      loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: value });
    } catch (error) {
      return error as StreamgateError;
    }
    throw new Error('expected loadWebhookSecrets to refuse the keys');
  }

  it('splits, trims and drops empties', () => {
    expect(loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: ` ${k1} ,${k2},, ,${k3}` })).toEqual([
      k1,
      k2,
      k3,
    ]);
    expect(loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: '' })).toEqual([]);
    expect(loadWebhookSecrets({})).toEqual([]);
  });

  it('requires keys of at least 32 bytes', () => {
    expect(MIN_WEBHOOK_KEY_BYTES).toBe(32);
    expect(loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: 'x'.repeat(32) })).toEqual(['x'.repeat(32)]);
    expect(refusal('x'.repeat(31)).code).toBe('CONFIG_INVALID');
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 16 two-byte characters are 32 bytes; 31 ASCII characters are 31 bytes.
    expect(loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: 'é'.repeat(16) })).toHaveLength(1);
    expect(refusal('é'.repeat(15) + 'x').message).toMatch(/key 1 of 1 is shorter than 32 bytes/);
  });

  it('names a short key by its position, never by its value, and explains the fix', () => {
    const short = 'previous-webhook-key';
    const error = refusal(`${k1},${short},${k2}`);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.kind).toBe('permanent');
    expect(error.message).toMatch(/STREAMGATE_WEBHOOK_SECRETS: key 2 of 3 is shorter than 32 bytes/);
    expect(error.message).toMatch(/openssl rand -hex 32/);
    expect(error.details).toEqual({ origin: 'STREAMGATE_WEBHOOK_SECRETS', shortKeys: [2] });
    const shown = `${error.message} ${JSON.stringify(error.details)}`;
    for (const key of [short, k1, k2]) expect(shown).not.toContain(key);
  });

  it('lists every short key', () => {
    expect(refusal(`tiny,${k1},small`).message).toMatch(/key 1 of 3, key 3 of 3 are shorter/);
  });
});
