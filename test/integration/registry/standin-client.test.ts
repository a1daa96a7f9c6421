import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRegistryStandIn,
  type PushNotice,
  type RegistryStandIn,
} from '../../../infra/local/registry/server.js';
import { RegistryClient, type RegistryClientOptions } from '../../../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../../../shared/adapters/registry/image-resolver.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { DEFAULT_PLATFORM } from '../../../shared/core/platform.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import type { ImageResolver } from '../../../shared/core/ports.js';
import {
  buildImage,
  buildIndex,
  makeLayer,
  Pusher,
  sha256,
  type BuiltImage,
} from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const NAME = 'demo-project/apps/web';

function clientFor(registry: RegistryStandIn, options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    overrides: new Map([[HOST, registry.url]]),
    accessToken: async () => undefined,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
}

describe('registry client against the in-process stand-in (no auth)', () => {
  let registry: RegistryStandIn;
  const notices: PushNotice[] = [];
  let docker: BuiltImage;
  let oci: BuiltImage;

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0, onPush: (n) => notices.push(n) });
    const pusher = new Pusher(registry.url);
    docker = buildImage([await makeLayer({ 'a.txt': 'alpha' }), await makeLayer({ 'b.txt': 'beta' })]);
    oci = buildImage([await makeLayer({ 'c.txt': 'gamma' })], { format: 'oci', architecture: 'arm64' });
    await pusher.pushImage(NAME, docker, 'v1');
    await pusher.pushImage(NAME, oci, 'oci', { chunkSize: 7 });
  });
  afterAll(async () => registry.close());

  it('announces pushes the way Artifact Registry does on the gcr topic', () => {
    expect(notices).toContainEqual({
      action: 'INSERT',
      digest: `${HOST}/${NAME}@${docker.digest}`,
      tag: `${HOST}/${NAME}:v1`,
    });
    expect(notices).toContainEqual({
      action: 'INSERT',
      digest: `${HOST}/${NAME}@${oci.digest}`,
      tag: `${HOST}/${NAME}:oci`,
    });
  });

  it('resolves a tag with HEAD and reads the manifest by digest, verified and typed', async () => {
    const client = clientFor(registry);
    const repo = { authority: HOST, name: NAME };
    expect(await client.resolveTag(repo, 'v1')).toBe(docker.digest);
    const manifest = await client.getManifest(repo, docker.digest);
    expect(manifest.bytes.equals(docker.manifest)).toBe(true);
    expect(manifest.contentType).toBe(docker.mediaType);
    expect((manifest.document as { layers: unknown[] }).layers).toHaveLength(2);
  });

  it('reads a chunk-uploaded OCI image and its config blob', async () => {
    const client = clientFor(registry);
    const repo = { authority: HOST, name: NAME };
    const manifest = await client.getManifest(repo, await client.resolveTag(repo, 'oci'));
    const configDigest = (manifest.document as { config: { digest: string } }).config.digest;
    const config = JSON.parse((await client.getBlob(repo, configDigest)).toString()) as {
      architecture: string;
    };
    expect(config.architecture).toBe('arm64');
  });

  it('resolver resolves an index to the amd64 child and reads its config', async () => {
    const index = buildIndex([oci, docker]);
    await new Pusher(registry.url).pushManifest(NAME, index.manifest, index.mediaType, 'multi');
    const resolver: ImageResolver = new RegistryImageResolver(clientFor(registry));
    const image = await resolver.resolve(parseImageReference(`${HOST}/${NAME}:multi`), DEFAULT_PLATFORM);
    expect(image.digest).toBe(index.digest);
    expect(image.platformDigest).toBe(docker.digest);
    expect(image.manifests.has(docker.digest)).toBe(true);
    expect((image.config as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids).toHaveLength(2);
  });

  it('answers 404 for unknown tags, which the client reports as IMAGE_NOT_FOUND (permanent)', async () => {
    const error = await clientFor(registry)
      .resolveTag({ authority: HOST, name: NAME }, 'nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamgateError);
    expect(error).toMatchObject({ code: 'IMAGE_NOT_FOUND', kind: 'permanent' });
  });

  it('refuses a blob whose bytes do not match the digest, and a chunk at the wrong offset', async () => {
    const bytes = Buffer.from('hello');
    const wrong = await fetch(
      `${registry.url}/v2/${NAME}/blobs/uploads/?digest=${sha256(Buffer.from('other'))}`,
      {
        method: 'POST',
        body: bytes,
      },
    );
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DIGEST_INVALID');
    const start = await fetch(`${registry.url}/v2/${NAME}/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location') ?? '';
    const badChunk = await fetch(new URL(location, registry.url), {
      method: 'PATCH',
      headers: { 'Content-Range': '5-9' },
      body: bytes,
    });
    expect(badChunk.status).toBe(416);
  });

  it('refuses a manifest that references blobs it does not hold', async () => {
    const orphan = buildImage([await makeLayer({ 'x.txt': 'never uploaded' })]);
    const res = await fetch(`${registry.url}/v2/${NAME}/manifests/orphan`, {
      method: 'PUT',
      headers: { 'Content-Type': orphan.mediaType },
      body: new Uint8Array(orphan.manifest),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(
      'MANIFEST_BLOB_UNKNOWN',
    );
  });
});

describe('registry client against the stand-in with token auth (like *-docker.pkg.dev)', () => {
  let registry: RegistryStandIn;
  let image: BuiltImage;
  const ACCESS_TOKEN = 'ya29.local-test-token';

  beforeAll(async () => {
    registry = await startRegistryStandIn({
      port: 0,
      auth: { accessToken: ACCESS_TOKEN, tokenLifetimeSeconds: 60 },
    });
    image = buildImage([await makeLayer({ 'a.txt': 'secret stuff' })]);
    const pusher = new Pusher(registry.url, { accessToken: ACCESS_TOKEN });
    await pusher.pushImage(NAME, image, 'v1');
    await pusher.pushImage('demo-project/apps/other', image, 'v1');
  });
  afterAll(async () => registry.close());

  it('swaps the access token once per scope and reuses it until it expires', async () => {
    let now = 1_000_000;
    let accessCalls = 0;
    const client = clientFor(registry, {
      clock: { now: () => new Date(now) },
      tokenMarginMs: 10_000,
      tagTtlMs: 0,
      accessToken: async () => {
        accessCalls++;
        return ACCESS_TOKEN;
      },
    });
    const repo = { authority: HOST, name: NAME };
    const before = registry.tokenRequests;
    expect(await client.resolveTag(repo, 'v1')).toBe(image.digest);
    await client.getManifest(repo, image.digest);
    await client.resolveTag(repo, 'v1');
    expect(registry.tokenRequests - before).toBe(1);
    expect(accessCalls).toBe(1);

    // Another repository is another scope: one more exchange.
    await client.resolveTag({ authority: HOST, name: 'demo-project/apps/other' }, 'v1');
    expect(registry.tokenRequests - before).toBe(2);

    // 60 s tokens minus a 10 s margin: still cached at +49 s, refreshed at +51 s.
    now += 49_000;
    await client.resolveTag(repo, 'v1');
    expect(registry.tokenRequests - before).toBe(2);
    now += 2_000;
    await client.resolveTag(repo, 'v1');
    expect(registry.tokenRequests - before).toBe(3);
  });

  it('fails with REGISTRY_AUTH_FAILED (permanent) when the access token is refused', async () => {
    const client = clientFor(registry, { accessToken: async () => 'wrong-token' });
    await expect(client.resolveTag({ authority: HOST, name: NAME }, 'v1')).rejects.toMatchObject({
      code: 'REGISTRY_AUTH_FAILED',
      kind: 'permanent',
    });
  });

  it('asks for the token anonymously when there are no credentials', async () => {
    const client = clientFor(registry, { accessToken: async () => undefined });
    await expect(client.resolveTag({ authority: HOST, name: NAME }, 'v1')).rejects.toMatchObject({
      code: 'REGISTRY_AUTH_FAILED',
    });
  });
});
