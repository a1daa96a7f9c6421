import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetRuntimeForTests } from '../../../functions/runtime.js';
import { startStack, testConfig, type Stack } from '../../helpers/stack-harness.js';

describe('a misconfigured deployment', () => {
  let stack: Stack;
  let goodConfig: string;
  let goodSecrets: string;
  beforeAll(async () => {
    stack = await startStack();
    goodConfig = process.env.STREAMGATE_CONFIG_JSON!;
    goodSecrets = process.env.STREAMGATE_WEBHOOK_SECRETS!;
  });
  afterEach(async () => {
    process.env.STREAMGATE_CONFIG_JSON = goodConfig;
    process.env.STREAMGATE_WEBHOOK_SECRETS = goodSecrets;
    vi.restoreAllMocks();
    await resetRuntimeForTests();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('logs CRITICAL with every config issue, answers 500 from the webhook and throws for CloudEvents', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    process.env.STREAMGATE_CONFIG_JSON = JSON.stringify({
      ...testConfig(),
      project: 'X',
      policy: { maxTaskCount: 'lots' },
    });
    await resetRuntimeForTests();

    const res = await stack.webhook('/jobs', { apiVersion: 'streamgate/v1', image: 'x' });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('CONFIG_INVALID');
    // No internals (the issues) go to the client.
    expect(body.detail).not.toContain('maxTaskCount');

    const event = await stack.deliver('onJobRequest', { data: '{}', messageId: 'cfg-1' });
    expect(event.status).toBe(500);

    const critical = lines.filter((l) => l.includes('"severity":"CRITICAL"'));
    expect(critical).toHaveLength(1);
    expect(critical[0]).toContain('project');
    expect(critical[0]).toContain('policy.maxTaskCount');
  });

  it('recovers once the config is fixed, without a restart', async () => {
    process.env.STREAMGATE_CONFIG_JSON = '{not json';
    await resetRuntimeForTests();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect((await stack.deliver('onJobRequest', { data: '{}', messageId: 'cfg-2' })).status).toBe(500);
    process.env.STREAMGATE_CONFIG_JSON = goodConfig;
    expect((await stack.deliver('onJobRequest', { data: '{}', messageId: 'cfg-3' })).status).toBe(204);
  });

  it('refuses every webhook request with 401 when no keys are configured', async () => {
    process.env.STREAMGATE_WEBHOOK_SECRETS = '';
    await resetRuntimeForTests();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const res = await stack.webhook('/jobs', { apiVersion: 'streamgate/v1', image: 'x' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/no signing keys configured/);
  });
});
