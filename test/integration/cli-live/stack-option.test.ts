/**
 * `bin/streamgate check` as a new user runs it against the local stack: `--stack` takes every
 * endpoint from the stack's file (no variables), a registry override without an Artifact Registry
 * endpoint gets a remedy naming that setting, and stderr carries no MetadataLookupWarning.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints, writeEndpointsFile } from '../../../infra/local/stack-config.js';
import { startRegistryStandIn } from '../../../infra/local/registry/server.js';
import { startStandIns, type StandIns } from '../../../infra/local/standins.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/web:v1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Report {
  verdict: string;
  warnings: { code: string; message: string }[];
}

describe('streamgate check --stack and a quiet CLI', () => {
  let standIns: StandIns;
  let dir = '';
  let stackFile = '';
  /** A new user's environment: no stack variables, no Google credentials, no metadata setting. */
  let userEnv: NodeJS.ProcessEnv = {};

  const streamgate = (args: string[], env: NodeJS.ProcessEnv = userEnv): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/streamgate', ...args],
        { cwd: ROOT, env, timeout: 120_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            stdout,
            stderr,
          }),
      );
    });

  beforeAll(async () => {
    standIns = await startStandIns();
    const image = buildImage([await makeLayer({ 'srv/app': 'web' }), await makeLayer({ 'etc/conf': 'x' })]);
    await new Pusher(standIns.registry.url).pushImage('demo-project/apps/web', image, 'v1');
    const repeated = await makeLayer({ 'srv/dup': 'twice' });
    const duplicated = buildImage([repeated, await makeLayer({ 'etc/conf': 'y' }), repeated]);
    await new Pusher(standIns.registry.url).pushImage('demo-project/apps/web', duplicated, 'dup');
    await standIns.pushesSettled();
    dir = await mkdtemp(join(tmpdir(), 'streamgate-stack-option-'));
    stackFile = join(dir, 'local-stack.json');
    const unused = 'http://127.0.0.1:9/'; // check never calls the functions
    const functions = {
      onImagePush: unused,
      onJobRequest: unused,
      webhook: unused,
      onJobStateChanged: unused,
    };
    await writeEndpointsFile(
      stackFile,
      stackEndpoints(standIns, functions, 'unused-secret', 'http://127.0.0.1:9'),
    );
    userEnv = { PATH: process.env.PATH, HOME: dir, CLOUDSDK_CONFIG: dir };
  });
  afterAll(async () => {
    await standIns?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--stack FILE: the registry and Artifact Registry come from the file; facts are read, nothing warns', async () => {
    // The CLI waits at most 2 s for the facts' answer; with explicit (stand-in) endpoints it loads
    // the clients before that wait starts, so a cold process on a busy machine still gets the answer.
    const before = standIns.artifactRegistry.calls.GetRepository ?? 0;
    const run = await streamgate(['check', '--stack', stackFile, IMAGE, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.verdict).toBe('eligible');
    expect(report.warnings.map((w) => w.code)).not.toContain('REPOSITORY_FACTS_UNAVAILABLE');
    expect(standIns.artifactRegistry.calls.GetRepository ?? 0).toBeGreaterThan(before);
  });

  it('--stack=FILE after the reference works the same (the registry is found only through the file)', async () => {
    const run = await streamgate(['check', IMAGE, `--stack=${stackFile}`, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as Report).verdict).toBe('eligible');
  });

  it('only a registry override: the warning names ARTIFACT_REGISTRY_API_ENDPOINT, and no MetadataLookupWarning', async () => {
    const run = await streamgate(['check', IMAGE, '--json'], {
      ...userEnv,
      STREAMGATE_REGISTRY_OVERRIDES: `${standIns.registryHost}=${standIns.registry.url}`,
    });
    expect(run.code, run.stderr).toBe(0);
    const warning = (JSON.parse(run.stdout) as Report).warnings.find(
      (w) => w.code === 'REPOSITORY_FACTS_UNAVAILABLE',
    );
    expect(warning?.message).toContain('ARTIFACT_REGISTRY_API_ENDPOINT is not set');
    expect(warning?.message).not.toContain('roles/artifactregistry.reader');
    expect(run.stderr).not.toMatch(/Warning/);
  });

  it('a registry that wants a Google token, without credentials: one error line, no MetadataLookupWarning', async () => {
    // Credentials are looked for here (ADC), which is where google-auth-library probes the metadata server.
    const guarded = await startRegistryStandIn({ port: 0, auth: { accessToken: 'only-with-credentials' } });
    try {
      const run = await streamgate(['check', IMAGE], {
        ...userEnv,
        STREAMGATE_REGISTRY_OVERRIDES: `${standIns.registryHost}=${guarded.url}`,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^streamgate: cannot read /);
      expect(run.stderr).not.toMatch(/Warning/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await guarded.close();
    }
  });

  it('fix --stack repairs an image in the stack, and check --stack then calls the repaired tag eligible', async () => {
    const dup = IMAGE.replace(':v1', ':dup');
    const fixed = await streamgate(['fix', '--stack', stackFile, dup, '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toBe('');
    expect(JSON.parse(fixed.stdout)).toMatchObject({ tag: 'dup-streamable', verdict: 'eligible' });
    const checked = await streamgate(['check', '--stack', stackFile, `${dup}-streamable`, '--json']);
    expect(checked.code, checked.stderr).toBe(0);
    expect((JSON.parse(checked.stdout) as Report).verdict).toBe('eligible');
    const original = await streamgate(['check', '--stack', stackFile, dup, '--json']);
    expect(original.code).toBe(1);
  });

  it('--stack without a running stack is a usage error that says how to start one', async () => {
    const missing = join(dir, 'absent.json');
    const run = await streamgate(['check', '--stack', missing, IMAGE]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no local stack (${missing} is missing): start one with \`npm start\``);
  });

  it('--stack with --manifest is a usage error', async () => {
    const run = await streamgate(['check', '--stack', '--manifest', stackFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--stack is for the live check');
  });
});
