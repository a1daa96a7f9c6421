/**
 * Builds small, real OCI / Docker images (ustar layers gzipped with zlib, configs with true
 * rootfs.diff_ids) and pushes them with the Distribution API as a real client does: monolithic or
 * chunked blob uploads, then a manifest PUT. Speaks Bearer token auth when challenged.
 * Used by the local demo and, through test/helpers/oci-images.ts, by the tests.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { packTar } from './tar.js';

const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** distribution's `gzippedEmptyTar` (docs/platform-facts.md): gzip of 1024 zero bytes, sha256 a3ed95…. */
export const GZIPPED_EMPTY_TAR = Buffer.from([
  31, 139, 8, 0, 0, 9, 110, 136, 0, 255, 98, 24, 5, 163, 96, 20, 140, 88, 0, 8, 0, 0, 255, 255, 46, 175, 181,
  239, 0, 4, 0, 0,
]);

export function sha256(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** A layer blob and the digest of its uncompressed tar (the config's diff_id). */
export interface Layer {
  blob: Buffer;
  digest: string;
  diffId: string;
}

/** Packs files into a tar, then gzips it (fixed mtime, so the bytes are reproducible). */
export async function makeLayer(files: Record<string, string>): Promise<Layer> {
  const tarBytes = packTar(Object.entries(files).map(([name, content]) => ({ name, content })));
  const blob = gzipSync(tarBytes);
  return { blob, digest: sha256(blob), diffId: sha256(tarBytes) };
}

/** The 32-byte gzip empty layer; its tar is 1024 zero bytes. */
export function emptyGzipLayer(): Layer {
  return { blob: GZIPPED_EMPTY_TAR, digest: sha256(GZIPPED_EMPTY_TAR), diffId: sha256(Buffer.alloc(1024)) };
}

/** A built image: the blobs to upload and the manifest bytes to PUT. */
export interface BuiltImage {
  mediaType: string;
  manifest: Buffer;
  digest: string;
  blobs: Map<string, Buffer>;
  platform: { os: string; architecture: string; variant?: string };
}

/** An image manifest (Docker schema 2 or OCI) over `layers`, with a matching config. */
export function buildImage(
  layers: Layer[],
  options: { format?: 'docker' | 'oci'; os?: string; architecture?: string; label?: string } = {},
): BuiltImage {
  const format = options.format ?? 'docker';
  const platform = { os: options.os ?? 'linux', architecture: options.architecture ?? 'amd64' };
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      config: { Cmd: ['/bin/true'], Labels: { 'test.label': options.label ?? 'streamgate' } },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      history: layers.map((_, i) => ({ created_by: `step ${i}` })),
    }),
  );
  const layerType = format === 'docker' ? MEDIA.dockerLayer : MEDIA.ociLayer;
  const mediaType = format === 'docker' ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: format === 'docker' ? MEDIA.dockerConfig : MEDIA.ociConfig,
        size: config.length,
        digest: sha256(config),
      },
      layers: layers.map((layer) => ({
        mediaType: layerType,
        size: layer.blob.length,
        digest: layer.digest,
      })),
    }),
  );
  const blobs = new Map<string, Buffer>([[sha256(config), config]]);
  for (const layer of layers) blobs.set(layer.digest, layer.blob);
  return { mediaType, manifest, digest: sha256(manifest), blobs, platform };
}

/** A manifest list / OCI index over already built images. */
export function buildIndex(
  children: BuiltImage[],
  format: 'docker' | 'oci' = 'oci',
): { mediaType: string; manifest: Buffer; digest: string } {
  const mediaType = format === 'docker' ? MEDIA.dockerList : MEDIA.ociIndex;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: children.map((child) => ({
        mediaType: child.mediaType,
        size: child.manifest.length,
        digest: child.digest,
        platform: child.platform,
      })),
    }),
  );
  return { mediaType, manifest, digest: sha256(manifest) };
}

export interface PushOptions {
  /** Upload blobs in PATCH chunks of this size instead of one monolithic POST. */
  chunkSize?: number;
  /** Access token for Basic `oauth2accesstoken:<token>` at the token realm. */
  accessToken?: string;
  /** Per-request timeout in ms (default 10 s), so a stuck registry cannot hang a push. */
  timeoutMs?: number;
}

/**
 * A minimal Distribution API pusher: what `docker push` sends, minus cross-repository mounts.
 *
 * @example
 *   const pusher = new Pusher(registryUrl);
 *   await pusher.pushImage('p/r/app', image, 'v1');
 */
export class Pusher {
  private bearer: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly options: PushOptions = {},
  ) {}

  async pushImage(name: string, image: BuiltImage, tag?: string, options: PushOptions = {}): Promise<string> {
    for (const [digest, bytes] of image.blobs)
      await this.pushBlob(name, digest, bytes, options.chunkSize ?? this.options.chunkSize);
    return this.pushManifest(name, image.manifest, image.mediaType, tag ?? image.digest);
  }

  async pushBlob(name: string, digest: string, bytes: Buffer, chunkSize?: number): Promise<void> {
    const head = await this.send('HEAD', `/v2/${name}/blobs/${digest}`);
    if (head.status === 200) return;
    if (chunkSize === undefined) {
      const done = await this.send('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, bytes, {
        'Content-Type': 'application/octet-stream',
      });
      if (done.status === 201) return;
      // Some registries ignore a monolithic POST and open a session instead; finish it with PUT.
      if (done.status !== 202)
        throw new Error(`monolithic upload of ${digest} failed: ${done.status} ${await done.text()}`);
      await this.finishUpload(done, digest, bytes);
      return;
    }
    let session = await this.send('POST', `/v2/${name}/blobs/uploads/`);
    if (session.status !== 202)
      throw new Error(`upload start failed: ${session.status} ${await session.text()}`);
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + chunkSize));
      session = await this.send('PATCH', this.location(session), chunk, {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${offset}-${offset + chunk.length - 1}`,
      });
      if (session.status !== 202)
        throw new Error(`chunk at ${offset} failed: ${session.status} ${await session.text()}`);
    }
    await this.finishUpload(session, digest, Buffer.alloc(0));
  }

  async pushManifest(name: string, manifest: Buffer, mediaType: string, reference: string): Promise<string> {
    const res = await this.send('PUT', `/v2/${name}/manifests/${reference}`, manifest, {
      'Content-Type': mediaType,
    });
    if (res.status !== 201) throw new Error(`manifest PUT failed: ${res.status} ${await res.text()}`);
    return res.headers.get('docker-content-digest') ?? sha256(manifest);
  }

  private async finishUpload(session: Response, digest: string, rest: Buffer): Promise<void> {
    const location = this.location(session);
    const url = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const done = await this.send('PUT', url, rest, { 'Content-Type': 'application/octet-stream' });
    if (done.status !== 201)
      throw new Error(`upload finish of ${digest} failed: ${done.status} ${await done.text()}`);
  }

  private location(response: Response): string {
    const location = response.headers.get('location');
    if (!location) throw new Error('upload answer has no Location');
    return location;
  }

  /** One request; on a Bearer challenge, gets a token (push scope) and tries once more. */
  private async send(
    method: string,
    pathOrUrl: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl).toString();
    const go = () =>
      fetch(url, {
        method,
        headers: { ...headers, ...(this.bearer ? { Authorization: `Bearer ${this.bearer}` } : {}) },
        body: body === undefined ? undefined : new Uint8Array(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    let res = await go();
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
    if (!realm) return res;
    const tokenUrl = new URL(realm);
    const service = /service="([^"]+)"/.exec(challenge)?.[1];
    const scope = /scope="([^"]+)"/.exec(challenge)?.[1];
    if (service) tokenUrl.searchParams.set('service', service);
    if (scope) tokenUrl.searchParams.set('scope', scope);
    const auth = this.options.accessToken
      ? {
          Authorization:
            'Basic ' + Buffer.from(`oauth2accesstoken:${this.options.accessToken}`).toString('base64'),
        }
      : undefined;
    const tokenRes = await fetch(tokenUrl, {
      headers: auth,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!tokenRes.ok) return res;
    const json = (await tokenRes.json()) as { token?: string; access_token?: string };
    this.bearer = json.token ?? json.access_token;
    res = await go();
    return res;
  }
}
