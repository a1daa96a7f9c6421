import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repoRoot, 'bin/streamgate');
const corpus = path.resolve(repoRoot, 'test/fixtures/corpus/manifests');
const scratch = mkdtempSync(path.join(tmpdir(), 'streamgate-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('streamgate check --manifest', () => {
  it('exits 0 with a readable report for an eligible image', async () => {
    const r = await run('check', '--manifest', path.join(corpus, 'dist-schema2-example.json'));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ELIGIBLE: /);
  });

  it('prints exactly one JSON object and exits 1 for an ineligible image', async () => {
    const r = await run(
      'check',
      '--manifest',
      path.join(corpus, 'moby-schema1-hello-world-good.json'),
      '--json',
    );
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['reasons', 'verdict', 'warnings']);
    expect(json.verdict).toBe('ineligible');
    expect((json.reasons as { code: string }[]).map((x) => x.code)).toEqual(['SCHEMA1', 'EMPTY_LAYER']);
  });

  it('gives needs-resolution and the platform digest for an index, and applies --image/--region', async () => {
    const index = await run('check', '--manifest', path.join(corpus, 'rc-index-v1-with-refs.json'), '--json');
    expect(index.code).toBe(1);
    expect(JSON.parse(index.stdout)).toMatchObject({
      verdict: 'needs-resolution',
      platformDigest: 'sha256:1effc9d48232693f4584ceb9c5e8d84ddeb5924ea4aff341aa8204510422f668',
    });
    const ref = await run(
      'check',
      '--manifest',
      path.join(corpus, 'ctd-redis-schema2.json'),
      '--image',
      'europe-docker.pkg.dev/p/r/redis:7',
      '--region',
      'us-central1',
      '--json',
    );
    expect(ref.code).toBe(1);
    expect(JSON.parse(ref.stdout).reasons.map((x: { code: string }) => x.code)).toEqual([
      'LOCATION_MISMATCH',
    ]);
  });

  it('exits 2 with one line on stderr for missing or non-JSON files and bad arguments', async () => {
    const notJson = path.join(scratch, 'broken.json');
    writeFileSync(notJson, '{ not json');
    const cases = [
      ['check', '--manifest', notJson],
      ['check', '--manifest', path.join(scratch, 'absent.json')],
      ['check', '--manifest', notJson, '--platform', 'linux'],
      ['check', '--nope'],
      ['frobnicate'],
    ];
    const results = await Promise.all(cases.map((args) => run(...args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i]?.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
    expect(results[0]?.stderr).toContain(notJson);
  });

  it('documents every option in --help', async () => {
    const [top, check] = await Promise.all([run('--help'), run('check', '--help')]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/check --manifest FILE/);
    expect(check.code).toBe(0);
    for (const option of ['--manifest', '--platform', '--image', '--region', '--json', 'IMAGE_REF', 'live']) {
      expect(check.stdout).toContain(option);
    }
  });
});
