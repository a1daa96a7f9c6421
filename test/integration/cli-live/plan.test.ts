/**
 * `streamgate plan`: the Batch job a JobRequest would create, planned through `planLaunch` with the
 * real registry adapter against the in-process registry stand-in. Batch and Pub/Sub are not
 * reachable here; a plan that tried to use them would fail (exit 2).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { runPlan, type PlanDeps } from '../../../cli/plan.js';
import { buildImage, emptyGzipLayer, makeLayer, Pusher } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG = join(ROOT, 'streamgate.config.example.json');

interface Planned {
  status: string;
  category?: string;
  reasons?: { code: string }[];
  report: { verdict: string; reasons: { code: string }[] };
  streaming?: { enabled: boolean };
  jobRegion?: string;
  imageUri?: string;
  digest?: string;
  parent?: string;
  jobId?: string;
  requestId?: string;
  job?: {
    taskGroups: {
      taskCount: string | number;
      taskSpec: { runnables: { container: Record<string, unknown> }[] };
    }[];
    allocationPolicy: { location: { allowedLocations: string[] } };
  };
}

describe('streamgate plan --request FILE', () => {
  let registry: RegistryStandIn;
  let dir: string;
  let eligibleDigest = '';

  const deps = (): PlanDeps => ({
    overrides: new Map([[HOST, registry.url]]),
    accessToken: async () => undefined,
    env: {},
  });

  async function requestFile(name: string, body: Record<string, unknown>): Promise<string> {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ apiVersion: 'streamgate/v1', ...body }));
    return file;
  }

  async function plan(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPlan(args, { out: (t) => out.push(t), err: (t) => err.push(t) }, deps());
    return { code, out, err };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamgate-plan-'));
    registry = await startRegistryStandIn({ port: 0 });
    const pusher = new Pusher(registry.url);
    const base = await makeLayer({ 'bin/app': 'app' });
    eligibleDigest = await pusher.pushImage('demo-project/apps/web', buildImage([base]), 'v1');
    await pusher.pushImage('demo-project/apps/empty', buildImage([base, emptyGzipLayer()]), 'v1');
  });
  afterAll(async () => {
    await registry?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an eligible image: exit 0, a streaming job pinned to the digest in the image region', async () => {
    const file = await requestFile('eligible', {
      image: `${HOST}/demo-project/apps/web:v1`,
      container: { commands: ['--serve'] },
      taskCount: 3,
    });
    const first = await plan(['--request', file, '--config', CONFIG, '--json']);
    expect(first.err).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.out).toHaveLength(1);
    const json = JSON.parse(first.out[0] ?? '') as Planned;
    expect(json.status).toBe('planned');
    expect(json.report.verdict).toBe('eligible');
    expect(json.streaming?.enabled).toBe(true);
    expect(json.digest).toBe(eligibleDigest);
    expect(json.imageUri).toBe(`${HOST}/demo-project/apps/web@${eligibleDigest}`);
    expect(json.parent).toBe('projects/demo-project/locations/us-central1');
    expect(json.jobId).toMatch(/^sg-webhook-[a-z2-7]{20}$/);
    const container = json.job?.taskGroups[0]?.taskSpec.runnables[0]?.container;
    expect(container?.imageUri).toBe(json.imageUri);
    expect(container?.enableImageStreaming).toBe(true);
    expect(container?.commands).toEqual(['--serve']);
    expect(Number(json.job?.taskGroups[0]?.taskCount)).toBe(3);
    expect(json.job?.allocationPolicy.location.allowedLocations).toEqual(['regions/us-central1']);

    // The same file plans the same job (ids derive from its content); --source renames it.
    const again = JSON.parse(
      (await plan(['--request', file, '--config', CONFIG, '--json'])).out[0] ?? '',
    ) as Planned;
    expect(again.jobId).toBe(json.jobId);
    expect(again.requestId).toBe(json.requestId);
    const pubsub = await plan(['--request', file, '--config', CONFIG, '--json', '--source', 'pubsub']);
    expect((JSON.parse(pubsub.out[0] ?? '') as Planned).jobId).toMatch(/^sg-pubsub-/);
  });

  it('streaming "require" with an empty layer: exit 1, rejected as ineligible with EMPTY_LAYER', async () => {
    const file = await requestFile('require', {
      image: `${HOST}/demo-project/apps/empty:v1`,
      streaming: 'require',
    });
    const run = await plan(['--request', file, '--config', CONFIG, '--json']);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.out[0] ?? '') as Planned;
    expect(json.status).toBe('rejected');
    expect(json.category).toBe('ineligible');
    expect(json.reasons?.map((r) => r.code)).toEqual(['INELIGIBLE_IMAGE', 'EMPTY_LAYER']);
    expect(json.report.reasons.map((r) => r.code)).toContain('EMPTY_LAYER');
  });

  it('"auto" with the same image: a job without streaming, and the report says why', async () => {
    const file = await requestFile('auto', { image: `${HOST}/demo-project/apps/empty:v1` });
    const run = await plan(['--request', file, '--config', CONFIG]);
    expect(run.code).toBe(0);
    const text = run.out.join('\n');
    expect(text).toMatch(/^INELIGIBLE: /);
    expect(text).toMatch(/reason\s+EMPTY_LAYER/);
    expect(text).toContain('(image streaming off)');
    expect(text).toContain('"enableImageStreaming": false');
  });

  it('policy, bad requests and unreadable images', async () => {
    const outside = await requestFile('outside', { image: `${HOST}/other-project/apps/web:v1` });
    const policy = await plan(['--request', outside, '--config', CONFIG, '--json']);
    expect(policy.code).toBe(1);
    expect(JSON.parse(policy.out[0] ?? '')).toMatchObject({ status: 'rejected', category: 'policy' });

    const bad = await requestFile('bad', { image: `${HOST}/demo-project/apps/web:v1`, surprise: true });
    await expect(plan(['--request', bad, '--config', CONFIG])).rejects.toThrow(/surprise/);

    const missing = await requestFile('missing', { image: `${HOST}/demo-project/apps/web:gone` });
    const gone = await plan(['--request', missing, '--config', CONFIG, '--json']);
    // A missing image is a permanent rejection in the pipeline (category image), not a crash.
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.out[0] ?? '')).toMatchObject({ status: 'rejected', category: 'image' });
  });

  it('bin/streamgate plan runs end to end with STREAMGATE_REGISTRY_OVERRIDES and STREAMGATE_CONFIG', async () => {
    const file = await requestFile('spawned', { image: `${HOST}/demo-project/apps/web:v1` });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STREAMGATE_REGISTRY_OVERRIDES: `${HOST}=${registry.url}`,
      STREAMGATE_CONFIG: CONFIG,
      METADATA_SERVER_DETECTION: 'none',
    };
    delete env.STREAMGATE_CONFIG_JSON;
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['bin/streamgate', 'plan', '--request', file, '--json'],
        { cwd: ROOT, env, timeout: 25_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            stdout,
            stderr,
          }),
      );
    });
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as Planned;
    expect(json.imageUri).toBe(`${HOST}/demo-project/apps/web@${eligibleDigest}`);
    expect(json.report.verdict).toBe('eligible');
  });
});
