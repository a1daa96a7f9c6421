/** Argument handling of the live commands, in-process through `main` (no network is reached). */
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('live command arguments', () => {
  it('check --timeout must be whole milliseconds in range', async () => {
    for (const bad of ['abc', '0', '-5', '1.5', '600001']) {
      const run = await cli('check', 'us-central1-docker.pkg.dev/p/r/i:t', '--timeout', bad);
      expect(run.code, bad).toBe(2);
      expect(run.err).toContain('--timeout');
    }
  });

  it('check of a non-Artifact Registry reference answers without any registry: exit 1', async () => {
    const run = await cli('check', 'registry-1.docker.io/library/alpine:3', '--json', '--timeout', '50');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.out)).toMatchObject({
      verdict: 'ineligible',
      reasons: [{ code: 'NOT_ARTIFACT_REGISTRY' }],
    });
  });

  it('check of an invalid reference is a usage error', async () => {
    const run = await cli('check', 'us-central1-docker.pkg.dev/P/R/Upper:tag');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^streamgate check: /);
  });

  it('plan is listed in the main help and has its own help', async () => {
    expect((await cli('--help')).out).toContain('streamgate plan --request FILE');
    const help = await cli('plan', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^streamgate plan — /);
  });

  it('plan needs --request, a known --source and a readable file', async () => {
    expect((await cli('plan')).err).toContain('give --request FILE');
    const source = await cli('plan', '--request', 'x.json', '--source', 'push');
    expect(source.code).toBe(2);
    expect(source.err).toContain('--source is pubsub or webhook');
    const missing = await cli(
      'plan',
      '--request',
      '/nonexistent/req.json',
      '--config',
      'streamgate.config.example.json',
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read /nonexistent/req.json: ENOENT');
    const config = await cli('plan', '--request', 'x.json', '--config', '/nonexistent/config.json');
    expect(config.code).toBe(2);
    expect(config.err).toMatch(/config\.json/);
  });
});
