/**
 * A push reads the registry once per object: the resolution handlePush makes to tell images from
 * artifacts is the one the launch judges, so a tag-only push (which names no digest) costs one
 * HEAD of the tag, one GET of the manifest and one GET of the config, even with every registry
 * cache off. Real registry client against the registry stand-in; Batch and Pub/Sub in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { RegistryClient } from '../../../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../../../shared/adapters/registry/image-resolver.js';
import { handlePush } from '../../../shared/pipeline/push.js';
import { buildImage, makeLayer, Pusher, type BuiltImage } from '../../helpers/oci-images.js';
import { memoryPorts } from '../../helpers/memory-ports.js';

const HOST = 'us-central1-docker.pkg.dev';
const NAME = 'demo-project/apps/web';

let registry: RegistryStandIn;
let image: BuiltImage;

beforeAll(async () => {
  registry = await startRegistryStandIn({ port: 0 });
  image = buildImage([await makeLayer({ 'a.txt': 'alpha' }), await makeLayer({ 'b.txt': 'beta' })]);
  await new Pusher(registry.url).pushImage(NAME, image, 'v1');
}, 60_000);
afterAll(async () => registry?.close());

/** Memory ports with a real resolver whose client caches nothing. */
function ports() {
  const memory = memoryPorts({
    config: { rules: [{ name: 'apps', image: `${HOST}/demo-project/apps/**` }] },
  });
  const client = new RegistryClient({
    overrides: new Map([[HOST, registry.url]]),
    accessToken: async () => undefined,
    tagTtlMs: 0,
    contentCache: { maxEntries: 0, maxBytes: 0 },
  });
  return { ...memory, deps: { ...memory.deps, images: new RegistryImageResolver(client) } };
}

describe('push: one registry read per object', () => {
  it('a tag-only push reads the tag, the manifest and the config once, and launches the digest', async () => {
    const { deps, batch } = ports();
    const start = registry.log.length;
    const notice = { action: 'INSERT', tag: `${HOST}/${NAME}:v1` };
    const outcome = await handlePush(notice, { messageId: 'tag-only-1' }, deps);
    expect(outcome).toMatchObject({ status: 'handled', digest: image.digest });
    expect(outcome.status === 'handled' && outcome.launches.map((l) => l.status)).toEqual(['launched']);
    const reads = registry.log.slice(start);
    expect(reads.filter((r) => r.startsWith('HEAD ') && r.endsWith('/manifests/v1'))).toHaveLength(1);
    expect(reads.filter((r) => r.endsWith(`/manifests/${image.digest}`))).toHaveLength(1);
    expect(reads.filter((r) => r.includes('/blobs/'))).toHaveLength(1);
    expect(reads).toHaveLength(3);
    expect([...batch.jobs.values()][0]?.image).toBe(`${HOST}/${NAME}@${image.digest}`);
  });

  it('a push naming the digest reads the manifest and the config once', async () => {
    const { deps } = ports();
    const start = registry.log.length;
    const notice = { action: 'INSERT', digest: `${HOST}/${NAME}@${image.digest}`, tag: `${HOST}/${NAME}:v1` };
    const outcome = await handlePush(notice, { messageId: 'digest-1' }, deps);
    expect(outcome).toMatchObject({ status: 'handled', digest: image.digest });
    const reads = registry.log.slice(start);
    expect(reads.filter((r) => r.endsWith(`/manifests/${image.digest}`))).toHaveLength(1);
    expect(reads.filter((r) => r.includes('/blobs/'))).toHaveLength(1);
    expect(reads).toHaveLength(2);
  });

  it('the launch judges the resolution the push made, unless its machines run another platform', async () => {
    const rule = { name: 'apps', image: `${HOST}/demo-project/apps/**` };
    const arm = {
      name: 'arm',
      image: `${HOST}/demo-project/apps/**`,
      template: { machineType: 't2a-standard-2' },
    };
    const notice = { action: 'INSERT', tag: `${HOST}/${NAME}:v1` };
    const same = memoryPorts({ config: { rules: [rule] } });
    await handlePush(notice, { messageId: 'same-1' }, same.deps);
    expect(same.images.platforms).toEqual(['linux/amd64']);
    const other = memoryPorts({ config: { rules: [rule, arm] } });
    await handlePush(notice, { messageId: 'arm-1' }, other.deps);
    // The push reads for the config platform; only the Arm rule's launch reads again, for linux/arm64.
    expect(other.images.platforms).toEqual(['linux/amd64', 'linux/arm64']);
  });
});
