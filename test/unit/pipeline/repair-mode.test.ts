import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { REPAIRED_FROM_ANNOTATION } from '../../../shared/core/repair/rewrite.js';
import { toLaunchRequest, type LaunchRequest } from '../../../shared/core/request.js';
import { launch } from '../../../shared/pipeline/launch.js';
import { handlePush } from '../../../shared/pipeline/push.js';
import { repositoryOf } from '../../../shared/pipeline/repair-launch.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { memoryPorts, TEST_DIGEST, TEST_MANIFEST } from '../../helpers/memory-ports.js';

/**
 * Mode `repair` with in-memory ports: what happens when the repository may not be written, when the
 * image needs no repair, and that a repaired push never launches again. The repair itself runs
 * end to end in test/e2e/stack-flow.test.ts and test/integration/cli-live/fix.test.ts.
 */

const REPO = 'us-central1-docker.pkg.dev/demo-project/apps/web';
const LAYER = { ...TEST_MANIFEST.layers[0], size: 5000 };
const ELIGIBLE = { ...TEST_MANIFEST, layers: [LAYER] };
const DUPLICATED = { ...TEST_MANIFEST, layers: [LAYER, LAYER] };

const request = (): LaunchRequest =>
  toLaunchRequest(
    { apiVersion: 'streamgate/v1', image: `${REPO}@${TEST_DIGEST}`, streaming: 'repair' },
    { source: 'webhook', idempotencyKey: 'repair-1', correlationId: 'c-1' },
  );

describe('mode repair', () => {
  it('outside repairRepositories runs as auto, without streaming, warning REPAIR_NOT_PERMITTED', async () => {
    const ports = memoryPorts({ document: DUPLICATED });
    const outcome = await launch(request(), ports.deps);
    expect(outcome).toMatchObject({ status: 'launched', digest: TEST_DIGEST });
    const launched = ports.events.events().find((e) => e.type === EVENT_TYPES.launched);
    const data = launched?.data as {
      streaming: { enabled: boolean; mode: string; warnings: { code: string }[] };
    };
    expect(data.streaming.enabled).toBe(false);
    expect(data.streaming.mode).toBe('repair');
    expect(data.streaming.warnings.map((w) => w.code)).toContain('REPAIR_NOT_PERMITTED');
    expect((data.streaming as unknown as { reasons: { code: string }[] }).reasons.map((r) => r.code)).toEqual(
      ['DUPLICATE_LAYER'],
    );
    expect((launched?.data as { image: object }).image).not.toHaveProperty('repairedFrom');
  });

  it('a permitted repository without repair adapters still falls back (nothing can be written)', async () => {
    const ports = memoryPorts({
      document: DUPLICATED,
      config: { repairRepositories: ['us-central1-docker.pkg.dev/demo-project/apps'] },
    });
    await launch(request(), ports.deps);
    const data = ports.events.events()[0]?.data as {
      streaming: { warnings: { code: string; message: string }[] };
    };
    const warning = data.streaming.warnings.find((w) => w.code === 'REPAIR_NOT_PERMITTED');
    expect(warning?.message).toContain('writes nothing to registries');
  });

  it('streams an eligible image as auto would, with no warning', async () => {
    const ports = memoryPorts({ document: ELIGIBLE });
    await launch(request(), ports.deps);
    const data = ports.events.events()[0]?.data as {
      streaming: { enabled: boolean; warnings: { code: string }[] };
    };
    expect(data.streaming.enabled, JSON.stringify(data.streaming)).toBe(true);
    expect(data.streaming.warnings.map((w) => w.code)).not.toContain('REPAIR_NOT_PERMITTED');
  });

  it('names repositories as HOST/PROJECT/REPOSITORY', () => {
    expect(repositoryOf(parseImageReference(`${REPO}/deep:v1`))).toBe(
      'us-central1-docker.pkg.dev/demo-project/apps',
    );
  });
});

describe('push of a repaired image', () => {
  it('is ignored: no job, no event (no loop)', async () => {
    const repaired = {
      ...TEST_MANIFEST,
      annotations: { [REPAIRED_FROM_ANNOTATION]: `sha256:${'e'.repeat(64)}` },
    };
    const ports = memoryPorts({
      document: repaired,
      config: {
        rules: [
          { name: 'all', image: 'us-central1-docker.pkg.dev/demo-project/apps/*', streaming: 'repair' },
        ],
      },
    });
    const outcome = await handlePush(
      { action: 'INSERT', digest: `${REPO}@${TEST_DIGEST}`, tag: `${REPO}:v1-streamable` },
      { messageId: 'm-1' },
      ports.deps,
    );
    expect(outcome).toMatchObject({ status: 'ignored' });
    expect(outcome.status === 'ignored' && outcome.reason).toContain(REPAIRED_FROM_ANNOTATION);
    expect(ports.batch.jobs.size).toBe(0);
    expect(ports.events.events()).toEqual([]);
  });
});
