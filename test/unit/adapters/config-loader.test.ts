import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_PATH,
  loadConfig,
  loadWebhookSecrets,
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
  it('splits, trims and drops empties', () => {
    expect(loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: ' k1 ,k2,, ,k3' })).toEqual(['k1', 'k2', 'k3']);
    expect(loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: '' })).toEqual([]);
    expect(loadWebhookSecrets({})).toEqual([]);
  });
});
