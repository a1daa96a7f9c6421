/**
 * Local OCI registry stand-in: the Distribution v2 HTTP API (manifests, blobs, monolithic and
 * chunked uploads, cross-repository mounts, tag listing, manifest and tag deletion) with optional token auth shaped like
 * Artifact Registry's, push and delete callbacks that the local stack turns into `gcr` Pub/Sub
 * messages, a request counter and fault injection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenAuthority, type AuthOptions } from './token-auth.js';
import { DIGEST_PATTERN, RegistryStorage, sha256Digest } from './storage.js';
import { pageTags } from './tags.js';

/** What Artifact Registry publishes on the `gcr` topic after a push. */
export interface PushNotice {
  action: 'INSERT';
  /** Full reference with digest: `<registryHost>/<name>@sha256:…`. */
  digest: string;
  /** Full tagged reference when the push named a tag: `<registryHost>/<name>:<tag>`. */
  tag?: string;
}

/** What a manifest or tag DELETE removed (the local stack announces it on `gcr`). */
export interface DeleteNotice {
  /** `manifest`: the manifest and every tag on it went; `tag`: only that tag went. */
  deleted: 'manifest' | 'tag';
  /** `<registryHost>/<name>@sha256:…`: the manifest deleted, or the one the deleted tag named. */
  digest: string;
  /** `<registryHost>/<name>:<tag>` of every tag removed. */
  tags: string[];
}

/** Misbehaviour to inject, for reliability tests. Applies to manifest and blob reads only. */
interface RegistryFaults {
  /** Answer the next requests with these statuses, one per request, before behaving normally. */
  statuses?: number[];
  /** `Retry-After` value sent with injected 429/503 answers. */
  retryAfter?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Flip one byte of every manifest body served (the digest header stays the true one). */
  corruptBody?: boolean;
}

export interface RegistryStandInOptions {
  port?: number;
  /** Require tokens obtained from `/v2/token` with Basic `oauth2accesstoken:<accessToken>`. */
  auth?: AuthOptions;
  /** Called after every manifest PUT. */
  onPush?: (notice: PushNotice) => void;
  /** Called after every manifest or tag DELETE that removed something. */
  onDelete?: (notice: DeleteNotice) => void;
  /** Host named in push notices and the token `service`. Default 'us-central1-docker.pkg.dev'. */
  registryHost?: string;
  faults?: RegistryFaults;
  /** Largest manifest accepted on PUT. Default 4 MiB. */
  maxManifestBytes?: number;
}

export interface RegistryStandIn {
  url: string;
  port: number;
  /** Every HTTP request received, the token endpoint included. */
  readonly requests: number;
  /** Requests to `/v2/token`. */
  readonly tokenRequests: number;
  /** The most recent requests as `METHOD path` (last 500). */
  readonly log: readonly string[];
  /** Replaces the fault settings. */
  setFaults(faults: RegistryFaults): void;
  close(): Promise<void>;
}

const NAME = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*';
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const UPLOADS = new RegExp(`^/v2/(${NAME})/blobs/uploads/([A-Za-z0-9-]*)$`);
const MANIFESTS = new RegExp(`^/v2/(${NAME})/manifests/([^/]+)$`);
const BLOBS = new RegExp(`^/v2/(${NAME})/blobs/([^/]+)$`);
const TAGS = new RegExp(`^/v2/(${NAME})/tags/list$`);
const MIB = 1024 * 1024;
const MAX_BLOB_BYTES = 512 * MIB;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/**
 * Starts the stand-in on 127.0.0.1.
 *
 * @example
 *   const registry = await startRegistryStandIn({ port: 0, auth: { accessToken: 'local' } });
 *   // STREAMGATE_REGISTRY_OVERRIDES=us-central1-docker.pkg.dev=${registry.url}
 *   await registry.close();
 */
export async function startRegistryStandIn(options: RegistryStandInOptions = {}): Promise<RegistryStandIn> {
  const storage = new RegistryStorage();
  const registryHost = options.registryHost ?? 'us-central1-docker.pkg.dev';
  const maxManifestBytes = options.maxManifestBytes ?? 4 * MIB;
  let faults: RegistryFaults = { ...options.faults, statuses: [...(options.faults?.statuses ?? [])] };
  let requests = 0;
  let tokenRequests = 0;
  const log: string[] = [];
  let baseUrl = '';
  const authority = options.auth ? new TokenAuthority(options.auth, registryHost) : undefined;

  const handle: Handler = async (req, res, url) => {
    const path = url.pathname;
    if (path === '/v2/token') {
      tokenRequests++;
      if (!authority) return sendError(res, 404, 'NAME_UNKNOWN', 'token auth is not enabled');
      const answer = authority.issue(req.headers.authorization, url.searchParams.getAll('scope'));
      if (!answer) return sendError(res, 401, 'UNAUTHORIZED', 'bad or missing oauth2accesstoken credentials');
      return sendJson(res, 200, answer);
    }
    if (path === '/v2/' || path === '/v2') {
      if (authority && !authority.allows(req.headers.authorization)) return challenge(res);
      return sendJson(res, 200, {});
    }
    const upload = UPLOADS.exec(path);
    const manifest = upload ? null : MANIFESTS.exec(path);
    const blob = upload || manifest ? null : BLOBS.exec(path);
    const tags = upload || manifest || blob ? null : TAGS.exec(path);
    const name = (upload ?? manifest ?? blob ?? tags)?.[1];
    if (name === undefined) return sendError(res, 404, 'NAME_INVALID', `no route for ${path}`);
    const action = actionOf(req.method);
    if (authority && !authority.allows(req.headers.authorization, name, action))
      return challenge(res, name, action);

    if (!upload && (req.method === 'GET' || req.method === 'HEAD')) {
      if (faults.delayMs) await delay(faults.delayMs);
      const injected = faults.statuses?.shift();
      if (injected !== undefined) {
        if (faults.retryAfter !== undefined) res.setHeader('Retry-After', faults.retryAfter);
        return sendError(
          res,
          injected,
          injected === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE',
          'injected fault',
        );
      }
    }
    if (upload) return handleUpload(req, res, url, name, upload[2] ?? '');
    if (tags) return listTags(req, res, url, name);
    if (manifest) return handleManifest(req, res, name, decodeURIComponent(manifest[2] ?? ''));
    return handleBlob(req, res, name, blob?.[2] ?? '');
  };

  const challenge = (res: ServerResponse, name?: string, action?: RepositoryAction): void => {
    const actions = action === 'push' ? 'push,pull' : action;
    const scope = name === undefined ? '' : `,scope="repository:${name}:${actions}"`;
    res.setHeader('WWW-Authenticate', `Bearer realm="${baseUrl}/v2/token",service="${registryHost}"${scope}`);
    sendError(res, 401, 'UNAUTHORIZED', 'authentication required');
  };

  const handleManifest = async (
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    reference: string,
  ) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const found = storage.getManifest(name, reference);
      if (!found) return sendError(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
      let body = found.manifest.bytes;
      if (faults.corruptBody && req.method === 'GET') {
        body = Buffer.from(body);
        body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x20;
      }
      res.writeHead(200, {
        'Content-Type': found.manifest.contentType,
        'Content-Length': String(body.byteLength),
        'Docker-Content-Digest': found.digest,
        'Docker-Distribution-Api-Version': 'registry/2.0',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (req.method === 'DELETE') return deleteManifest(res, name, reference);
    if (req.method !== 'PUT')
      return sendError(res, 405, 'UNSUPPORTED', `${req.method} is not supported on manifests`);
    const isDigest = DIGEST_PATTERN.test(reference);
    if (!isDigest && !TAG.test(reference))
      return sendError(res, 400, 'TAG_INVALID', `invalid tag ${reference}`);
    const body = await readBody(req, maxManifestBytes);
    if (!body) return sendError(res, 413, 'SIZE_INVALID', `manifest larger than ${maxManifestBytes} bytes`);
    const digest = sha256Digest(body);
    if (isDigest && digest !== reference)
      return sendError(res, 400, 'DIGEST_INVALID', 'manifest digest does not match');
    const contentType = req.headers['content-type']?.split(';')[0]?.trim();
    const missing = missingReferences(
      body,
      (d) => storage.getBlob(name, d) !== undefined,
      (d) => storage.hasManifest(name, d),
    );
    if (missing === 'invalid') return sendError(res, 400, 'MANIFEST_INVALID', 'manifest is not JSON');
    if (missing) return sendError(res, 400, missing.code, `unknown ${missing.digest}`);
    const tag = isDigest ? undefined : reference;
    storage.putManifest(
      name,
      digest,
      { bytes: body, contentType: contentType || 'application/octet-stream' },
      tag,
    );
    res.writeHead(201, { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest });
    res.end();
    const notice: PushNotice = { action: 'INSERT', digest: `${registryHost}/${name}@${digest}` };
    if (tag !== undefined) notice.tag = `${registryHost}/${name}:${tag}`;
    options.onPush?.(notice);
  };

  const listTags = (req: IncomingMessage, res: ServerResponse, url: URL, name: string): void => {
    if (req.method !== 'GET') return sendError(res, 405, 'UNSUPPORTED', `${req.method} on a tag list`);
    const all = storage.tags(name);
    if (!all) return sendError(res, 404, 'NAME_UNKNOWN', `repository name not known to registry: ${name}`);
    const page = pageTags(name, all, url.searchParams);
    if ('invalid' in page) return sendError(res, 400, 'PAGINATION_NUMBER_INVALID', page.invalid);
    if (page.link) res.setHeader('Link', page.link);
    sendJson(res, 200, { name, tags: page.tags });
  };

  // The spec requires DELETE by digest and allows it by tag; Artifact Registry untags, and announces
  // a tag-only DELETE (docs/platform-facts.md), so both are served.
  const deleteManifest = (res: ServerResponse, name: string, reference: string): void => {
    const isDigest = DIGEST_PATTERN.test(reference);
    if (!isDigest && !TAG.test(reference))
      return sendError(res, 400, 'TAG_INVALID', `invalid reference ${reference.slice(0, 160)}`);
    if (!storage.tags(name))
      return sendError(res, 404, 'NAME_UNKNOWN', `repository name not known to registry: ${name}`);
    const removedTags = isDigest ? storage.deleteManifest(name, reference) : [reference];
    const digest = isDigest ? reference : storage.deleteTag(name, reference);
    if (!removedTags || digest === undefined)
      return sendError(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
    res.writeHead(202, { 'Content-Length': '0' });
    res.end();
    options.onDelete?.({
      deleted: isDigest ? 'manifest' : 'tag',
      digest: `${registryHost}/${name}@${digest}`,
      tags: removedTags.map((tag) => `${registryHost}/${name}:${tag}`),
    });
  };

  const handleBlob = async (req: IncomingMessage, res: ServerResponse, name: string, digest: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendError(res, 405, 'UNSUPPORTED', 'blobs are read-only here');
    if (!DIGEST_PATTERN.test(digest))
      return sendError(res, 400, 'DIGEST_INVALID', `invalid digest ${digest}`);
    const bytes = storage.getBlob(name, digest);
    if (!bytes) return sendError(res, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(bytes.byteLength),
      'Docker-Content-Digest': digest,
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };

  const handleUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    name: string,
    id: string,
  ) => {
    const location = (uploadId: string) => `/v2/${name}/blobs/uploads/${uploadId}`;
    if (req.method === 'POST' && id === '') {
      const mounted = mountBlob(url.searchParams.get('mount'), url.searchParams.get('from'));
      if (mounted !== undefined) return finishBlob(res, name, url.searchParams.get('mount'), mounted);
      const digest = url.searchParams.get('digest');
      if (digest !== null) {
        const body = await readBody(req, MAX_BLOB_BYTES);
        return finishBlob(res, name, digest, body);
      }
      const uploadId = storage.startUpload(name);
      res.writeHead(202, {
        Location: location(uploadId),
        'Docker-Upload-UUID': uploadId,
        Range: '0-0',
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    const open = storage.upload(id, name);
    if (!open) return sendError(res, 404, 'BLOB_UPLOAD_UNKNOWN', `upload ${id} unknown`);
    if (req.method === 'GET') {
      res.writeHead(204, {
        Location: location(id),
        Range: `0-${Math.max(0, open.size - 1)}`,
        'Docker-Upload-UUID': id,
      });
      res.end();
      return;
    }
    if (req.method !== 'PATCH' && req.method !== 'PUT')
      return sendError(res, 405, 'UNSUPPORTED', `${req.method} on an upload`);
    const range = req.headers['content-range'];
    const start = typeof range === 'string' ? /^(\d+)-(\d+)$/.exec(range.trim()) : null;
    if (typeof range === 'string' && (!start || Number(start[1]) !== open.size)) {
      res.setHeader('Range', `0-${Math.max(0, open.size - 1)}`);
      return sendError(res, 416, 'BLOB_UPLOAD_INVALID', `chunk must start at ${open.size}`);
    }
    const chunk = await readBody(req, MAX_BLOB_BYTES - open.size);
    if (!chunk) return sendError(res, 413, 'SIZE_INVALID', 'upload too large');
    storage.appendUpload(open, chunk);
    if (req.method === 'PATCH') {
      res.writeHead(202, {
        Location: location(id),
        Range: `0-${open.size - 1}`,
        'Docker-Upload-UUID': id,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    return finishBlob(res, name, url.searchParams.get('digest'), storage.finishUpload(id, open));
  };

  // Cross-repository mount, as distribution does it: 201 when `from` holds the blob (and the
  // caller could read it), else an ordinary upload session (202) that the client falls back to.
  const mountBlob = (digest: string | null, from: string | null): Buffer | undefined => {
    if (digest === null || from === null || !DIGEST_PATTERN.test(digest)) return undefined;
    if (!new RegExp(`^${NAME}$`).test(from)) return undefined;
    return storage.getBlob(from, digest);
  };

  const finishBlob = (res: ServerResponse, name: string, digest: string | null, body: Buffer | undefined) => {
    if (!body) return sendError(res, 413, 'SIZE_INVALID', 'blob too large');
    if (digest === null || !DIGEST_PATTERN.test(digest))
      return sendError(res, 400, 'DIGEST_INVALID', 'digest missing or invalid');
    if (sha256Digest(body) !== digest)
      return sendError(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
    storage.putBlob(name, digest, body);
    res.writeHead(201, {
      Location: `/v2/${name}/blobs/${digest}`,
      'Docker-Content-Digest': digest,
      'Content-Length': '0',
    });
    res.end();
  };

  const server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    log.push(`${req.method ?? '?'} ${url.pathname}`);
    if (log.length > 500) log.shift();
    res.setHeader('Docker-Distribution-Api-Version', 'registry/2.0');
    handle(req, res, url).catch((error: unknown) => {
      if (!res.headersSent)
        sendError(res, 500, 'UNKNOWN', error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    port,
    get requests() {
      return requests;
    },
    get tokenRequests() {
      return tokenRequests;
    },
    log,
    setFaults(next) {
      faults = { ...next, statuses: [...(next.statuses ?? [])] };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

type RepositoryAction = 'pull' | 'push' | 'delete';

/** The token scope action a request needs (distribution asks for `delete` on DELETE). */
function actionOf(method: string | undefined): RepositoryAction {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  return method === 'DELETE' ? 'delete' : 'push';
}

/** Which referenced blob or child manifest is missing (a real registry refuses such a push). */
function missingReferences(
  body: Buffer,
  hasBlob: (digest: string) => boolean,
  hasManifest: (digest: string) => boolean,
): { code: string; digest: string } | 'invalid' | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return 'invalid';
  }
  if (!document || typeof document !== 'object') return 'invalid';
  const record = document as { config?: { digest?: unknown }; layers?: unknown; manifests?: unknown };
  const blobs = [
    record.config?.digest,
    ...(Array.isArray(record.layers) ? record.layers : []).map(digestField),
  ];
  for (const digest of blobs) {
    if (typeof digest === 'string' && !hasBlob(digest)) return { code: 'MANIFEST_BLOB_UNKNOWN', digest };
  }
  for (const digest of (Array.isArray(record.manifests) ? record.manifests : []).map(digestField)) {
    if (typeof digest === 'string' && !hasManifest(digest)) return { code: 'MANIFEST_UNKNOWN', digest };
  }
  return undefined;
}

function digestField(entry: unknown): unknown {
  return entry && typeof entry === 'object' ? (entry as { digest?: unknown }).digest : undefined;
}

/** Reads a request body; undefined when it is larger than `limit`. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Distribution-spec error body: `{"errors":[{"code","message","detail"}]}`. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ code, message, detail: null }] });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
