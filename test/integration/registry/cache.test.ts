import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { RegistryClient } from '../../../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../../../shared/adapters/registry/image-resolver.js';
import { DigestCache } from '../../../shared/adapters/registry/manifest-cache.js';
import { parseImageReference, pinToDigest } from '../../../shared/core/image-reference.js';
import { DEFAULT_PLATFORM } from '../../../shared/core/platform.js';
import { buildImage, buildIndex, makeLayer, Pusher, type BuiltImage } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const NAME = 'demo-project/apps/cached';

describe('registry caches (requests counted at the stand-in)', () => {
  let registry: RegistryStandIn;
  let amd64: BuiltImage;
  let indexDigest: string;

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0 });
    const pusher = new Pusher(registry.url);
    amd64 = buildImage([await makeLayer({ 'a.txt': 'amd64' })], { format: 'oci' });
    const arm64 = buildImage([await makeLayer({ 'a.txt': 'arm64' })], {
      format: 'oci',
      architecture: 'arm64',
    });
    await pusher.pushImage(NAME, amd64);
    await pusher.pushImage(NAME, arm64);
    const index = buildIndex([arm64, amd64]);
    indexDigest = await pusher.pushManifest(NAME, index.manifest, index.mediaType, 'v1');
  });
  afterAll(async () => registry.close());

  it('a second resolve of the same digest makes no request at all', async () => {
    let now = 0;
    const client = new RegistryClient({
      overrides: new Map([[HOST, registry.url]]),
      accessToken: async () => undefined,
      clock: { now: () => new Date(now) },
      tagTtlMs: 10_000,
    });
    const resolver = new RegistryImageResolver(client);
    const byTag = parseImageReference(`${HOST}/${NAME}:v1`);

    let before = registry.requests;
    const first = await resolver.resolve(byTag, DEFAULT_PLATFORM);
    // HEAD tag, GET index, GET amd64 child, GET config blob.
    expect(registry.requests - before).toBe(4);
    expect(first.platformDigest).toBe(amd64.digest);

    before = registry.requests;
    const again = await resolver.resolve(pinToDigest(byTag, indexDigest), DEFAULT_PLATFORM);
    expect(registry.requests - before).toBe(0);
    expect(again.platformDigest).toBe(first.platformDigest);
    expect(again.config).toEqual(first.config);

    // The tag answer is reused while fresh, then asked again (one HEAD; content stays cached).
    now += 9_000;
    before = registry.requests;
    await resolver.resolve(byTag, DEFAULT_PLATFORM);
    expect(registry.requests - before).toBe(0);
    now += 2_000;
    before = registry.requests;
    await resolver.resolve(byTag, DEFAULT_PLATFORM);
    expect(registry.requests - before).toBe(1);
    expect(registry.log.at(-1)).toBe(`HEAD /v2/${NAME}/manifests/v1`);
  });
});

describe('DigestCache bounds', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const cache = new DigestCache({ maxEntries: 2, maxBytes: 1_000 });
    cache.set('a', { bytes: Buffer.from('aa') });
    cache.set('b', { bytes: Buffer.from('bb') });
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', { bytes: Buffer.from('cc') });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.bytes.toString()).toBe('aa');
    expect(cache.get('c')?.bytes.toString()).toBe('cc');
  });

  it('keeps the total bytes under the byte bound and skips items that can never fit', () => {
    const cache = new DigestCache({ maxEntries: 100, maxBytes: 10 });
    cache.set('a', { bytes: Buffer.alloc(4) });
    cache.set('b', { bytes: Buffer.alloc(4) });
    cache.set('c', { bytes: Buffer.alloc(4) });
    expect(cache.bytes).toBeLessThanOrEqual(10);
    expect(cache.get('a')).toBeUndefined();
    cache.set('huge', { bytes: Buffer.alloc(11) });
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});
