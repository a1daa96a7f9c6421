/**
 * The platform of a single-platform image, live: an arm64 image pushed to the registry stand-in
 * (config `architecture: arm64`, no index) is judged against the job's platform by `streamgate
 * check` and `streamgate plan`, through the real registry adapter that reads the config blob.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLive } from '../../../cli/check-live.js';
import { runCheck } from '../../../cli/check.js';
import { UsageError } from '../../../cli/io.js';
import { runPlan, type PlanDeps } from '../../../cli/plan.js';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { DEFAULT_PLATFORM, parsePlatform, type Platform } from '../../../shared/core/platform.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const ARM_IMAGE = `${HOST}/demo-project/apps/arm-only:v1`;
const AMD_IMAGE = `${HOST}/demo-project/apps/amd-only:v1`;

interface Report {
  verdict: string;
  reasons: { code: string; message: string }[];
}
interface Planned {
  status: string;
  category?: string;
  reasons?: { code: string; message: string }[];
  platform?: string;
  streaming?: { enabled: boolean };
  report?: Report;
  job?: { allocationPolicy: { instances: { policy: { machineType?: string } }[] } };
}

describe('the platform of single-platform images, live against the registry stand-in', () => {
  let registry: RegistryStandIn;
  let dir: string;
  let config: string;

  const deps = (): PlanDeps => ({
    overrides: new Map([[HOST, registry.url]]),
    accessToken: async () => undefined,
    env: {},
  });
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };

  async function check(imageRef: string, platform: Platform) {
    const c = capture();
    const code = await checkLive({ imageRef, platform, json: true, io: c.io, timeoutMs: 5_000 }, deps());
    expect(c.err).toEqual([]);
    return { code, report: JSON.parse(c.out[0] ?? '') as Report };
  }

  async function plan(name: string, body: Record<string, unknown>) {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ apiVersion: 'streamgate/v1', ...body }));
    const c = capture();
    const code = await runPlan(['--request', file, '--config', config, '--json'], c.io, deps());
    expect(c.err).toEqual([]);
    return { code, json: JSON.parse(c.out[0] ?? '') as Planned };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamgate-platform-'));
    config = join(dir, 'streamgate.config.json');
    await writeFile(
      config,
      JSON.stringify({
        project: 'demo-project',
        topics: { events: 'streamgate-events', notifications: 'streamgate-batch-notifications' },
        jobServiceAccount: 'streamgate-jobs@demo-project.iam.gserviceaccount.com',
      }),
    );
    registry = await startRegistryStandIn({ port: 0 });
    const pusher = new Pusher(registry.url);
    const layer = await makeLayer({ 'bin/app': 'app' });
    await pusher.pushImage(
      'demo-project/apps/arm-only',
      buildImage([layer], { architecture: 'arm64' }),
      'v1',
    );
    await pusher.pushImage('demo-project/apps/amd-only', buildImage([layer]), 'v1');
  });
  afterAll(async () => {
    await registry?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('check: an arm64 image is NO_MATCHING_PLATFORM for linux/amd64 (exit 1) and eligible for linux/arm64', async () => {
    const onAmd = await check(ARM_IMAGE, DEFAULT_PLATFORM);
    expect(onAmd.code).toBe(1);
    expect(onAmd.report.verdict).toBe('ineligible');
    expect(onAmd.report.reasons.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);
    expect(onAmd.report.reasons[0]?.message).toMatch(/built for linux\/arm64 \(its config\)/);
    const onArm = await check(ARM_IMAGE, parsePlatform('linux/arm64'));
    expect(onArm.code).toBe(0);
    expect(onArm.report.verdict).toBe('eligible');
    // And the other way round.
    expect((await check(AMD_IMAGE, parsePlatform('linux/arm64'))).report.reasons.map((r) => r.code)).toEqual([
      'NO_MATCHING_PLATFORM',
    ]);
  });

  it('check --machine-type derives the platform; a contradicting --platform is a usage error', async () => {
    const prior = process.env.STREAMGATE_REGISTRY_OVERRIDES;
    process.env.STREAMGATE_REGISTRY_OVERRIDES = `${HOST}=${registry.url}`;
    try {
      const arm = capture();
      const code = await runCheck([ARM_IMAGE, '--machine-type', 't2a-standard-1', '--json'], arm.io);
      expect(arm.err).toEqual([]);
      expect(code).toBe(0);
      expect((JSON.parse(arm.out[0] ?? '') as Report).verdict).toBe('eligible');
      const amd = capture();
      expect(await runCheck([ARM_IMAGE, '--machine-type', 'n2-standard-2', '--json'], amd.io)).toBe(1);
      await expect(
        runCheck([ARM_IMAGE, '--machine-type', 'n2-standard-2', '--platform', 'linux/arm64'], capture().io),
      ).rejects.toThrow(UsageError);
    } finally {
      if (prior === undefined) delete process.env.STREAMGATE_REGISTRY_OVERRIDES;
      else process.env.STREAMGATE_REGISTRY_OVERRIDES = prior;
    }
  });

  it('check --manifest judges the config platform only when --image-config gives the config', async () => {
    const image = buildImage([await makeLayer({ 'bin/app': 'app' })], { architecture: 'arm64' });
    const manifest = join(dir, 'manifest.json');
    const imageConfig = join(dir, 'config.json');
    await writeFile(manifest, image.manifest);
    const configDigest = (JSON.parse(image.manifest.toString()) as { config: { digest: string } }).config
      .digest;
    await writeFile(imageConfig, image.blobs.get(configDigest) ?? '');
    const offline = async (args: string[]) => {
      const c = capture();
      const code = await runCheck(['--manifest', manifest, '--json', ...args], c.io);
      return { code, report: JSON.parse(c.out[0] ?? '') as Report };
    };
    // Without the config there is nothing to compare: no verdict is invented.
    expect(await offline([])).toMatchObject({ code: 0, report: { verdict: 'eligible' } });
    const withConfig = await offline(['--image-config', imageConfig]);
    expect(withConfig.code).toBe(1);
    expect(withConfig.report.reasons.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);
    expect(await offline(['--image-config', imageConfig, '--machine-type', 'c4a-standard-4'])).toMatchObject({
      code: 0,
      report: { verdict: 'eligible' },
    });
  });

  it('plan: rejected on the default machines, planned with streaming on a t2a machine type', async () => {
    const rejected = await plan('default', { image: ARM_IMAGE });
    expect(rejected.code).toBe(1);
    expect(rejected.json.status).toBe('rejected');
    expect(rejected.json.category).toBe('image');
    expect(rejected.json.reasons?.map((r) => r.code)).toEqual(['NO_MATCHING_PLATFORM']);

    const planned = await plan('t2a', { image: ARM_IMAGE, machineType: 't2a-standard-2' });
    expect(planned.code).toBe(0);
    expect(planned.json.status).toBe('planned');
    expect(planned.json.platform).toBe('linux/arm64');
    expect(planned.json.report?.verdict).toBe('eligible');
    expect(planned.json.streaming?.enabled).toBe(true);
    expect(planned.json.job?.allocationPolicy.instances[0]?.policy.machineType).toBe('t2a-standard-2');
  });
});
