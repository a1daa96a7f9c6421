/**
 * The registry client's writes (blob upload monolithic and chunked, cross-repository mount with its
 * 202 fallback, manifest PUT by digest and tag, HEAD checks, streamed blob reads) against the
 * stand-in with token auth and against Debian's real docker-registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { RegistryClient, type RepositoryLocator } from '../../../shared/adapters/registry/client.js';
import { digestOf } from '../../../shared/adapters/registry/digest.js';
import { describeDockerRegistryTier, startDockerRegistry } from '../../helpers/docker-registry.js';
import { buildImage, makeLayer } from '../../helpers/oci-images.js';
import { RegistryLayerInspector } from '../../../shared/adapters/layers/inspector.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';

const HOST = 'us-central1-docker.pkg.dev';
const ACCESS_TOKEN = 'writes-access-token';

function bytes(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The same contract, whichever registry serves it. */
function writeContract(
  start: () => Promise<{ url: string; stop(): Promise<void>; log?: readonly string[] }>,
) {
  let registry: { url: string; stop(): Promise<void>; log?: readonly string[] };
  let client: RegistryClient;
  const repo: RepositoryLocator = { authority: HOST, name: 'p/r/writes' };
  const other: RepositoryLocator = { authority: HOST, name: 'p/r/other' };

  beforeAll(async () => {
    registry = await start();
    client = new RegistryClient({
      overrides: new Map([[HOST, registry.url]]),
      accessToken: async () => ACCESS_TOKEN,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
  });
  afterAll(async () => registry?.stop());

  it('uploads a blob monolithically, then finds it present and reads it back', async () => {
    const blob = bytes('monolithic blob\n');
    const digest = digestOf(blob);
    expect(await client.blobExists(repo, digest)).toBe(false);
    expect(await client.uploadBlob(repo, digest, blob)).toBe('uploaded');
    expect(await client.blobExists(repo, digest)).toBe(true);
    expect(await client.uploadBlob(repo, digest, blob)).toBe('present');
    expect((await client.getBlob(repo, digest)).toString()).toBe('monolithic blob\n');
  });

  it('uploads a blob in PATCH chunks', async () => {
    const blob = bytes('x'.repeat(1000) + 'chunked');
    const digest = digestOf(blob);
    expect(await client.uploadBlob(repo, digest, blob, { chunkSize: 300 })).toBe('uploaded');
    expect(Buffer.from(await client.getBlob(repo, digest)).equals(Buffer.from(blob))).toBe(true);
  });

  it('mounts a blob from another repository, and falls back to an upload when the source lacks it', async () => {
    const blob = bytes('mounted blob\n');
    const digest = digestOf(blob);
    await client.uploadBlob(other, digest, blob);
    expect(await client.uploadBlob(repo, digest, blob, { mountFrom: other.name })).toBe('mounted');
    expect(await client.blobExists(repo, digest)).toBe(true);
    const lonely = bytes('only here\n');
    expect(await client.uploadBlob(repo, digestOf(lonely), lonely, { mountFrom: other.name })).toBe(
      'uploaded',
    );
  });

  it('refuses bytes that do not match the digest before sending anything', async () => {
    await expect(client.uploadBlob(repo, digestOf(bytes('a')), bytes('b'))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
  });

  it('PUTs a manifest by digest and by tag, and reads it back by both', async () => {
    const layer = await makeLayer({ 'w.txt': 'w' });
    const image = buildImage([layer], { format: 'oci' });
    for (const [digest, blob] of image.blobs) await client.uploadBlob(repo, digest, new Uint8Array(blob));
    const manifest = new Uint8Array(image.manifest);
    expect(await client.putManifest(repo, image.digest, manifest, image.mediaType)).toBe(image.digest);
    expect(await client.putManifest(repo, 'v1-streamable', manifest, image.mediaType)).toBe(image.digest);
    expect(await client.manifestExists(repo, 'v1-streamable')).toBe(true);
    expect(await client.manifestExists(repo, 'sha256-abc.sig')).toBe(false);
    const fresh = new RegistryClient({
      overrides: new Map([[HOST, registry.url]]),
      accessToken: async () => ACCESS_TOKEN,
    });
    expect(await fresh.resolveTag(repo, 'v1-streamable')).toBe(image.digest);
    const streamed = await readAll(await fresh.openBlob(repo, layer.digest, 30_000));
    expect(streamed.equals(layer.blob)).toBe(true);
  });

  it('refuses a manifest whose bytes do not hash to the digest it is PUT under', async () => {
    await expect(
      client.putManifest(repo, digestOf(bytes('{}')), bytes('{"a":1}'), 'application/json'),
    ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
}

describe('registry client writes against the stand-in with token auth', () => {
  let standIn: RegistryStandIn;
  writeContract(async () => {
    standIn = await startRegistryStandIn({ port: 0, auth: { accessToken: ACCESS_TOKEN } });
    return { url: standIn.url, stop: () => standIn.close(), log: standIn.log };
  });

  it('opened upload sessions and sent PATCH chunks', () => {
    expect(standIn.log.some((line) => line.startsWith('POST /v2/p/r/writes/blobs/uploads/'))).toBe(true);
    expect(standIn.log.some((line) => line.startsWith('PATCH /v2/p/r/writes/blobs/uploads/'))).toBe(true);
  });

  it('a wrong access token gets REGISTRY_AUTH_FAILED on a write', async () => {
    const denied = new RegistryClient({
      overrides: new Map([[HOST, standIn.url]]),
      accessToken: async () => 'wrong',
      retry: { attempts: 1 },
    });
    const blob = bytes('denied');
    await expect(
      denied.uploadBlob({ authority: HOST, name: 'p/r/writes' }, digestOf(blob), blob),
    ).rejects.toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
  });
});

describe('layer inspection through the registry client', () => {
  it('reads a layer streamed and verified, and calls one slower than its time bound unreadable (permanent)', async () => {
    const standIn = await startRegistryStandIn({ port: 0 });
    try {
      const client = new RegistryClient({
        overrides: new Map([[HOST, standIn.url]]),
        accessToken: async () => undefined,
      });
      const layer = await makeLayer({ 'a/b': 'c' });
      const image = parseImageReference(`${HOST}/p/r/slow:v1`);
      await client.uploadBlob(
        { authority: HOST, name: 'p/r/slow' },
        layer.digest,
        new Uint8Array(layer.blob),
      );
      const descriptor = { digest: layer.digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
      const inspector = new RegistryLayerInspector(client);
      expect(await inspector.inspect(image, descriptor)).toEqual({ entries: 1, foreignHardlinks: [] });
      expect(inspector.stats).toEqual({ layers: 1, bytes: layer.blob.length });
      standIn.setFaults({ delayMs: 2_000 });
      const impatient = new RegistryLayerInspector(client, { timeoutMs: 200 });
      await expect(impatient.inspect(image, descriptor)).rejects.toMatchObject({
        code: 'REPAIR_LAYER_UNREADABLE',
        kind: 'permanent',
      });
    } finally {
      await standIn.close();
    }
  });
});

describeDockerRegistryTier('registry client writes against real docker-registry 2.8', () => {
  writeContract(() => startDockerRegistry());
});
