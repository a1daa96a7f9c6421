/**
 * Mode `repair` through launch(): the real registry client, resolver, writer and layer inspector
 * against the registry stand-in, Batch and Pub/Sub in memory. A plan decides the repair and writes
 * nothing; a launch pushes it and runs the repaired digest, the same one the plan named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { RegistryLayerInspector } from '../../../shared/adapters/layers/inspector.js';
import { RegistryClient } from '../../../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../../../shared/adapters/registry/image-resolver.js';
import { RegistryClientWriter } from '../../../shared/adapters/registry/writer.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { toLaunchRequest } from '../../../shared/core/request.js';
import { launch } from '../../../shared/pipeline/launch.js';
import { memoryPorts } from '../../helpers/memory-ports.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const NAME = 'demo-project/apps/web';

describe('mode repair through launch(), against the registry stand-in', () => {
  let registry: RegistryStandIn;
  let original = '';

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0 });
    const repeated = await makeLayer({ 'srv/dup': 'twice' });
    const image = buildImage([repeated, await makeLayer({ 'etc/x': 'x' }), repeated]);
    original = await new Pusher(registry.url).pushImage(NAME, image, 'v1');
  });
  afterAll(async () => registry?.close());

  function harness() {
    const client = new RegistryClient({
      overrides: new Map([[HOST, registry.url]]),
      accessToken: async () => undefined,
    });
    const ports = memoryPorts({ config: { repairRepositories: [`${HOST}/demo-project/apps`] } });
    const store = new RegistryClientWriter(client);
    ports.deps.images = new RegistryImageResolver(client);
    ports.deps.repair = { content: store, writer: store, layers: new RegistryLayerInspector(client) };
    return { ports, client };
  }
  const request = (key: string) =>
    toLaunchRequest(
      { apiVersion: 'streamgate/v1', image: `${HOST}/${NAME}:v1`, streaming: 'repair' },
      { source: 'webhook', idempotencyKey: key, correlationId: key },
    );

  it('a plan names the repaired digest and writes nothing; the launch pushes and runs that digest', async () => {
    const { ports, client } = harness();
    const planned = await launch(request('plan-1'), ports.deps, { dryRun: true });
    expect(planned).toMatchObject({ status: 'planned', repairedFrom: original });
    const wouldRun = planned.status === 'planned' ? planned.digest : undefined;
    expect(wouldRun).toMatch(/^sha256:/);
    expect(wouldRun).not.toBe(original);
    expect(await client.manifestExists({ authority: HOST, name: NAME }, 'v1-streamable')).toBe(false);
    expect(ports.events.events()).toEqual([]);

    const launched = await launch(request('launch-1'), ports.deps);
    expect(launched).toMatchObject({ status: 'launched', digest: wouldRun, repairedFrom: original });
    expect(launched.status === 'launched' && launched.streaming).toMatchObject({
      enabled: true,
      mode: 'repair',
    });
    expect(await client.resolveTag({ authority: HOST, name: NAME }, 'v1-streamable')).toBe(wouldRun);
    const event = ports.events.events().find((e) => e.type === EVENT_TYPES.launched);
    expect((event?.data as { image: object }).image).toMatchObject({
      digest: wouldRun,
      repairedFrom: original,
      uri: `${HOST}/${NAME}@${wouldRun}`,
    });
    const [job] = [...ports.batch.jobs.values()];
    expect(job?.image).toBe(`${HOST}/${NAME}@${wouldRun}`);
    expect(job?.streaming).toBe(true);
  });
});
