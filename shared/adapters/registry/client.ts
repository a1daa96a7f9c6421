/**
 * A small OCI Distribution v2 client for what streamgate needs: tag → digest, manifests by digest
 * (verified against their digest), and size-capped blobs. It speaks Artifact Registry's token auth,
 * retries what can be retried, and caches content by digest.
 */
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createHash } from 'node:crypto';
import { StreamgateError } from '../../core/errors.js';
import { MANIFEST_ACCEPT } from '../../core/media-types.js';
import type { Clock } from '../../core/ports.js';
import type { Logger } from '../logger.js';
import { systemClock } from '../system-clock.js';
import {
  type AccessTokenSource,
  type BearerChallenge,
  DEFAULT_TOKEN_LIFETIME_S,
  googleAccessTokenSource,
  mayPresentGoogleCredentials,
  oauthBasicAuthorization,
  parseBearerChallenge,
  TokenCache,
  TokenResponseSchema,
  tokenUrl,
} from './auth.js';
import { isDigest, matchesDigest, digestOf } from './digest.js';
import {
  BodyTooLargeError,
  fetchStream,
  fetchWithLimits,
  type HttpFetch,
  type HttpResponse,
  HttpTimeoutError,
} from './http.js';
import { DigestCache, type LruLimits, TagCache } from './manifest-cache.js';
import { type RegistryOverrides, registryBaseUrl } from './overrides.js';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type Random,
  realSleep,
  type RetryPolicy,
  retrying,
  type Sleep,
} from '../retry.js';

/** Where a repository lives: registry authority (`host[:port]`) and repository name (`project/repo/image`). */
export interface RepositoryLocator {
  authority: string;
  name: string;
}

/** A manifest as served, checked against its digest. */
export interface RegistryManifest {
  digest: string;
  bytes: Buffer;
  /** Media type from Content-Type, lower case, without parameters. */
  contentType?: string;
  /** The parsed JSON; the raw text when the body is not JSON (the core then calls it malformed). */
  document: unknown;
}

export interface RegistryClientOptions {
  /** Registry authority → base URL (see STREAMGATE_REGISTRY_OVERRIDES). */
  overrides?: RegistryOverrides;
  /** Google access token for the token exchange; default: Application Default Credentials. */
  accessToken?: AccessTokenSource;
  /** The HTTP function; default Node fetch with timeout and body cap. */
  fetch?: HttpFetch;
  /** Per-request timeout (headers and body). Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  sleep?: Sleep;
  clock?: Clock;
  random?: Random;
  /** Largest manifest accepted. Default 4 MiB. */
  maxManifestBytes?: number;
  /** Largest blob `getBlob` reads unless told otherwise. Default 8 MiB. */
  maxBlobBytes?: number;
  /** How long a tag → digest answer is reused. Default 10 s; 0 turns the tag cache off. */
  tagTtlMs?: number;
  /** Bounds of the content cache (manifests and blobs by digest). Default 512 entries, 32 MiB. */
  contentCache?: LruLimits;
  /** Tokens are dropped this long before they expire. Default 10 s. */
  tokenMarginMs?: number;
  /** Answer text kept in error messages and details. Default 512 characters. */
  maxErrorBodyChars?: number;
  logger?: Logger;
}

const MIB = 1024 * 1024;
/** A 401 → token → 401 sequence needs three sends at most; more would be a loop. */
const MAX_AUTH_ROUNDS = 3;

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

/** What a request may carry beyond a read (see `request`). */
interface WriteExtras {
  body?: Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  /** Ask for a `push,pull` token instead of `pull`. */
  push?: boolean;
  /** Statuses handed back as answers instead of errors (e.g. 404 for "blob not there"). */
  answers?: readonly number[];
}

/**
 * Reads manifests and blobs from OCI registries.
 *
 * @example
 *   const client = new RegistryClient({ overrides: registryOverridesFromEnv() });
 *   const repo = { authority: 'us-central1-docker.pkg.dev', name: 'p/r/app' };
 *   const digest = await client.resolveTag(repo, 'latest');
 *   const manifest = await client.getManifest(repo, digest);
 */
export class RegistryClient {
  private readonly overrides: RegistryOverrides;
  private readonly accessToken: AccessTokenSource;
  private readonly send: HttpFetch;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly sleep: Sleep;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly maxErrorBodyChars: number;
  private readonly tokens: TokenCache;
  private readonly tags: TagCache;
  private readonly content: DigestCache;
  /** The last challenge each registry sent, so later requests can present a cached token at once. */
  private readonly challenges = new Map<string, BearerChallenge>();
  private readonly logger: Logger | undefined;

  constructor(options: RegistryClientOptions = {}) {
    this.overrides = options.overrides ?? new Map();
    this.accessToken = options.accessToken ?? googleAccessTokenSource();
    this.send = options.fetch ?? fetchWithLimits;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.sleep = options.sleep ?? realSleep;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * MIB;
    this.maxBlobBytes = options.maxBlobBytes ?? 8 * MIB;
    this.maxErrorBodyChars = options.maxErrorBodyChars ?? 512;
    this.tokens = new TokenCache(this.clock, options.tokenMarginMs ?? 10_000);
    this.tags = new TagCache(this.clock, options.tagTtlMs ?? 10_000);
    this.content = new DigestCache(options.contentCache ?? { maxEntries: 512, maxBytes: 32 * MIB });
    this.logger = options.logger;
  }

  /**
   * The digest a tag points to now: HEAD and `Docker-Content-Digest`, or (when the registry does
   * not send that header) GET and hash the body. Answers are reused for `tagTtlMs`.
   */
  async resolveTag(repo: RepositoryLocator, tag: string): Promise<string> {
    const key = `${repo.authority}/${repo.name}:${tag}`;
    const cached = this.tags.get(key);
    if (cached !== undefined) return cached;
    const path = `manifests/${encodeURIComponent(tag)}`;
    const head = await this.request(repo, 'HEAD', path, MANIFEST_ACCEPT, 0);
    const announced = head.headers.get('docker-content-digest')?.trim();
    let digest: string;
    if (announced !== undefined && isDigest(announced)) {
      digest = announced;
    } else {
      const got = await this.request(repo, 'GET', path, MANIFEST_ACCEPT, this.maxManifestBytes);
      const served = got.headers.get('docker-content-digest')?.trim();
      digest = served !== undefined && isDigest(served) ? served : digestOf(got.body);
      this.verify(repo, digest, got.body, `manifest for tag ${tag}`);
      this.content.set(this.contentKey(repo, digest), { bytes: got.body, ...contentTypeOf(got) });
    }
    this.tags.set(key, digest);
    return digest;
  }

  /** The manifest with this digest, verified; served from the cache when seen before. */
  async getManifest(repo: RepositoryLocator, digest: string): Promise<RegistryManifest> {
    this.requireDigest(digest);
    const key = this.contentKey(repo, digest);
    let entry = this.content.get(key);
    if (entry === undefined) {
      const got = await this.request(
        repo,
        'GET',
        `manifests/${digest}`,
        MANIFEST_ACCEPT,
        this.maxManifestBytes,
      );
      this.verify(repo, digest, got.body, 'manifest');
      entry = { bytes: got.body, ...contentTypeOf(got) };
      this.content.set(key, entry);
    }
    return { digest, bytes: entry.bytes, contentType: entry.contentType, document: parseJson(entry.bytes) };
  }

  /** A blob (e.g. an image config), size-capped and verified; cached by digest. */
  async getBlob(repo: RepositoryLocator, digest: string, maxBytes = this.maxBlobBytes): Promise<Buffer> {
    this.requireDigest(digest);
    const key = this.contentKey(repo, digest);
    const cached = this.content.get(key);
    if (cached !== undefined) return cached.bytes;
    const got = await this.request(repo, 'GET', `blobs/${digest}`, '*/*', maxBytes);
    this.verify(repo, digest, got.body, 'blob');
    this.content.set(key, { bytes: got.body });
    return got.body;
  }

  /** True when the repository holds the blob (HEAD; 404 is `false`). Asks with push scope when `push`. */
  async blobExists(repo: RepositoryLocator, digest: string, push = false): Promise<boolean> {
    this.requireDigest(digest);
    const got = await this.request(repo, 'HEAD', `blobs/${digest}`, '*/*', 0, { push, answers: [404] });
    return got.status !== 404;
  }

  /** True when a manifest answers to this tag or digest (HEAD; 404 is `false`). */
  async manifestExists(repo: RepositoryLocator, reference: string): Promise<boolean> {
    const path = `manifests/${encodeURIComponent(reference)}`;
    const got = await this.request(repo, 'HEAD', path, MANIFEST_ACCEPT, 0, { answers: [404] });
    return got.status !== 404;
  }

  /**
   * Stores a blob unless the repository has it: a cross-repository mount when `mountFrom` names
   * another repository on the same registry (a registry that answers 202 instead opened an upload,
   * which is then used), else a monolithic upload (POST, then PUT), or PATCH chunks of `chunkSize`.
   *
   * @example
   *   await client.uploadBlob(repo, digestOf(config), config); // 'uploaded'
   */
  async uploadBlob(
    repo: RepositoryLocator,
    digest: string,
    bytes: Uint8Array<ArrayBuffer>,
    options: { chunkSize?: number; mountFrom?: string } = {},
  ): Promise<'present' | 'mounted' | 'uploaded'> {
    this.requireDigest(digest);
    if (!matchesDigest(bytes, digest)) {
      throw new StreamgateError('DIGEST_MISMATCH', `The bytes to upload do not hash to ${digest}.`, {
        kind: 'permanent',
        details: { digest, actual: digestOf(bytes) },
      });
    }
    if (await this.blobExists(repo, digest, true)) return 'present';
    const push = { push: true, answers: [201, 202] } as const;
    const query =
      options.mountFrom === undefined || options.mountFrom === repo.name
        ? ''
        : `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(options.mountFrom)}`;
    const session = await this.request(repo, 'POST', `blobs/uploads/${query}`, '*/*', 64 * 1024, {
      ...push,
      headers: { 'Content-Length': '0' },
    });
    if (session.status === 201) return 'mounted';
    let location = this.uploadLocation(repo, session);
    const chunk = options.chunkSize ?? 0;
    const chunked = chunk > 0 && chunk < bytes.byteLength;
    for (let offset = 0; chunked && offset < bytes.byteLength; offset += chunk) {
      const part = bytes.subarray(offset, Math.min(bytes.byteLength, offset + chunk));
      const answer = await this.request(repo, 'PATCH', location, '*/*', 64 * 1024, {
        ...push,
        body: part,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `${offset}-${offset + part.byteLength - 1}`,
        },
      });
      location = this.uploadLocation(repo, answer);
    }
    const url = new URL(this.urlFor(repo, location));
    url.searchParams.set('digest', digest);
    await this.request(repo, 'PUT', url.toString(), '*/*', 64 * 1024, {
      ...push,
      body: chunked ? new Uint8Array(0) : bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    return 'uploaded';
  }

  /**
   * PUTs a manifest by tag or digest and returns its digest (checked against the bytes).
   *
   * @example
   *   const digest = await client.putManifest(repo, 'v1-streamable', bytes, MEDIA_TYPES.ociManifest);
   */
  async putManifest(
    repo: RepositoryLocator,
    reference: string,
    bytes: Uint8Array<ArrayBuffer>,
    mediaType: string,
  ): Promise<string> {
    const digest = digestOf(bytes);
    if (isDigest(reference) && reference !== digest) {
      throw new StreamgateError(
        'DIGEST_MISMATCH',
        `The manifest to PUT hashes to ${digest}, not ${reference}.`,
        {
          kind: 'permanent',
          details: { digest, reference },
        },
      );
    }
    const path = `manifests/${isDigest(reference) ? reference : encodeURIComponent(reference)}`;
    const got = await this.request(repo, 'PUT', path, '*/*', 64 * 1024, {
      push: true,
      body: bytes,
      headers: { 'Content-Type': mediaType },
    });
    const stored = got.headers.get('docker-content-digest')?.trim();
    if (stored !== undefined && stored !== '' && stored !== digest) {
      throw new StreamgateError('DIGEST_MISMATCH', `${repo.authority} stored ${stored}, not ${digest}.`, {
        kind: 'permanent',
        details: { registry: repo.authority, repository: repo.name, digest, stored },
      });
    }
    this.content.set(this.contentKey(repo, digest), { bytes: Buffer.from(bytes), contentType: mediaType });
    if (!isDigest(reference)) this.tags.set(`${repo.authority}/${repo.name}:${reference}`, digest);
    return digest;
  }

  /**
   * A blob as a stream, hashed on the way: the stream fails if the bytes do not hash to `digest`
   * or the download outlasts `timeoutMs`. Nothing is buffered beyond what the reader holds.
   */
  async openBlob(repo: RepositoryLocator, digest: string, timeoutMs: number): Promise<Readable> {
    this.requireDigest(digest);
    // The HEAD settles auth (and a missing blob's 404) through the ordinary path.
    await this.request(repo, 'HEAD', `blobs/${digest}`, '*/*', 0);
    const known = this.challenges.get(repo.authority);
    const token = known ? this.tokens.get({ ...known, scope: `repository:${repo.name}:pull` }) : undefined;
    const url = this.urlFor(repo, `blobs/${digest}`);
    const headers: Record<string, string> = { Accept: '*/*' };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    const answer = await fetchStream({ url, headers, timeoutMs });
    if (answer.status !== 200 || answer.body === null) {
      answer.done();
      throw new StreamgateError('MANIFEST_UNAVAILABLE', `GET ${url} answered ${answer.status}.`, {
        kind: isRetryableStatus(answer.status) ? 'transient' : 'permanent',
        details: { registry: repo.authority, repository: repo.name, digest, status: answer.status },
      });
    }
    return verifiedStream(
      Readable.fromWeb(answer.body as NodeReadableStream<Uint8Array>),
      digest,
      answer.done,
    );
  }

  private uploadLocation(repo: RepositoryLocator, response: HttpResponse): string {
    const location = response.headers.get('location');
    if (location) return location;
    throw new StreamgateError(
      'MANIFEST_UNAVAILABLE',
      `${repo.authority} opened an upload without a Location.`,
      {
        kind: 'permanent',
        details: { registry: repo.authority, repository: repo.name, status: response.status },
      },
    );
  }

  private contentKey(repo: RepositoryLocator, digest: string): string {
    return `${repo.authority.toLowerCase()}/${repo.name}@${digest}`;
  }

  private requireDigest(digest: string): void {
    if (!isDigest(digest)) {
      throw new StreamgateError('INVALID_IMAGE_REFERENCE', `"${digest}" is not a sha256 or sha512 digest.`, {
        kind: 'permanent',
        details: { digest },
      });
    }
  }

  private verify(repo: RepositoryLocator, digest: string, body: Buffer, what: string): void {
    if (matchesDigest(body, digest)) return;
    throw new StreamgateError(
      'DIGEST_MISMATCH',
      `The ${what} served by ${repo.authority}/${repo.name} does not hash to ${digest}; it was not used.`,
      {
        kind: 'permanent',
        details: { registry: repo.authority, repository: repo.name, digest, actual: digestOf(body) },
      },
    );
  }

  /**
   * One logical registry request: authenticates when challenged, retries transient failures and
   * maps the final answer to a 2xx response or a StreamgateError. `path` is under `/v2/<name>/`, or
   * an upload `Location` the registry gave (which must stay on the registry's own origin).
   */
  private async request(
    repo: RepositoryLocator,
    method: Method,
    path: string,
    accept: string,
    maxBodyBytes: number,
    extra: WriteExtras = {},
  ): Promise<HttpResponse> {
    const url = this.urlFor(repo, path);
    const scope = `repository:${repo.name}:${extra.push ? 'push,pull' : 'pull'}`;
    let freshToken: string | undefined;
    for (let round = 1; round <= MAX_AUTH_ROUNDS; round++) {
      const known = this.challenges.get(repo.authority);
      const token = freshToken ?? (known ? this.tokens.get({ ...known, scope }) : undefined);
      const headers: Record<string, string> = { Accept: accept, ...extra.headers };
      if (token !== undefined) headers.Authorization = `Bearer ${token}`;
      const body = extra.body === undefined ? {} : { body: extra.body };
      const response = await this.sendWithRetries({ method, url, headers, maxBodyBytes, ...body });
      if (response.status !== 401) {
        if (extra.answers?.includes(response.status)) return response;
        return this.accept(response, repo, method, url);
      }
      const offered = parseBearerChallenge(response.headers.get('www-authenticate'));
      if (offered === undefined || freshToken !== undefined) {
        throw this.authFailed(repo, url, response, freshToken !== undefined);
      }
      const realm = {
        realm: offered.realm,
        ...(offered.service === undefined ? {} : { service: offered.service }),
      };
      this.challenges.set(repo.authority, realm);
      // A write asks for push,pull at once, even when the challenge (e.g. to a HEAD) names only pull.
      const wanted = extra.push ? scope : (offered.scope ?? scope);
      const fetched = await this.fetchToken(repo, { ...offered, scope: wanted });
      // The registry may word the scope differently; file the token under ours too for later requests.
      this.tokens.set({ ...realm, scope }, fetched.token, fetched.lifetimeSeconds);
      freshToken = fetched.token;
    }
    throw new StreamgateError(
      'REGISTRY_AUTH_FAILED',
      `Authentication with ${repo.authority} did not settle.`,
      {
        kind: 'permanent',
        details: { url },
      },
    );
  }

  /** The URL of a path under the repository, or of a registry-given location on the same origin. */
  private urlFor(repo: RepositoryLocator, path: string): string {
    const base = registryBaseUrl(repo.authority, this.overrides);
    if (!path.startsWith('/') && !/^https?:/i.test(path)) return `${base}/v2/${repo.name}/${path}`;
    const url = new URL(path, base);
    // Our bearer token goes with every upload request: a Location elsewhere would receive it.
    if (url.origin !== new URL(base).origin) {
      throw new StreamgateError(
        'MANIFEST_UNAVAILABLE',
        `${repo.authority} sent an upload location on another origin (${url.origin}); it was not followed.`,
        { kind: 'permanent', details: { registry: repo.authority, location: url.origin } },
      );
    }
    return url.toString();
  }

  /** Maps a non-401 final answer: 2xx passes, everything else becomes a typed error. */
  private accept(response: HttpResponse, repo: RepositoryLocator, method: Method, url: string): HttpResponse {
    if (response.status >= 200 && response.status < 300) return response;
    const details = this.failureDetails(repo, url, response);
    if (response.status === 404) {
      throw new StreamgateError(
        'IMAGE_NOT_FOUND',
        `${repo.authority}/${repo.name}: ${url} was not found (404).`,
        {
          kind: 'permanent',
          details,
        },
      );
    }
    if (response.status === 403) {
      throw new StreamgateError(
        'REGISTRY_AUTH_FAILED',
        `${repo.authority} refused access to ${repo.name} (403).`,
        {
          kind: 'permanent',
          details,
        },
      );
    }
    const transient = isRetryableStatus(response.status);
    throw new StreamgateError(
      'MANIFEST_UNAVAILABLE',
      `${method} ${url} answered ${response.status}${transient ? ' after every retry' : ''}: ${details.answer}`,
      { kind: transient ? 'transient' : 'permanent', details },
    );
  }

  /**
   * Swaps the access token (if any) for a registry token and caches it for the challenge's scope.
   * The Google access token goes only to a Google (or overridden) registry's own origin; any other
   * realm gets an anonymous token request (see `mayPresentGoogleCredentials`).
   */
  private async fetchToken(
    repo: RepositoryLocator,
    challenge: BearerChallenge & { scope: string },
  ): Promise<{ token: string; lifetimeSeconds: number }> {
    const key = repo.authority.toLowerCase();
    const trusted = mayPresentGoogleCredentials({
      authority: key,
      registryBaseUrl: registryBaseUrl(key, this.overrides),
      overridden: this.overrides.has(key),
      realm: challenge.realm,
    });
    if (!trusted) {
      this.logger?.debug('token realm is not the Google registry we asked; requesting an anonymous token', {
        registry: repo.authority,
        realm: challenge.realm,
      });
    }
    const accessToken = trusted ? await this.accessToken() : undefined;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (accessToken !== undefined) headers.Authorization = oauthBasicAuthorization(accessToken);
    const url = tokenUrl(challenge);
    const response = await this.sendWithRetries({ method: 'GET', url, headers, maxBodyBytes: 64 * 1024 });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      throw this.authFailed(repo, url, response, accessToken !== undefined);
    }
    if (response.status < 200 || response.status >= 300) {
      const details = this.failureDetails(repo, url, response);
      throw new StreamgateError(
        'MANIFEST_UNAVAILABLE',
        `The token endpoint ${url} answered ${response.status}: ${details.answer}`,
        { kind: isRetryableStatus(response.status) ? 'transient' : 'permanent', details },
      );
    }
    const parsed = TokenResponseSchema.safeParse(parseJson(response.body));
    if (!parsed.success) {
      throw new StreamgateError(
        'REGISTRY_AUTH_FAILED',
        `The token endpoint ${url} sent an unreadable answer.`,
        {
          kind: 'permanent',
          details: { url, issues: parsed.error.issues.map((issue) => issue.message) },
        },
      );
    }
    const token = parsed.data.token ?? parsed.data.access_token ?? '';
    const lifetimeSeconds = parsed.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_S;
    this.tokens.set(challenge, token, lifetimeSeconds);
    return { token, lifetimeSeconds };
  }

  private authFailed(
    repo: RepositoryLocator,
    url: string,
    response: HttpResponse,
    afterToken: boolean,
  ): StreamgateError {
    const why = afterToken ? 'even with a fresh token' : 'and offered no Bearer challenge we can answer';
    return new StreamgateError(
      'REGISTRY_AUTH_FAILED',
      `${repo.authority} refused ${repo.name} (${response.status}) ${why}; check the credentials and IAM roles.`,
      { kind: 'permanent', details: this.failureDetails(repo, url, response) },
    );
  }

  private failureDetails(
    repo: RepositoryLocator,
    url: string,
    response: HttpResponse,
  ): Record<string, unknown> & { answer: string } {
    const text = response.body.toString('utf8');
    const answer = text.length > this.maxErrorBodyChars ? `${text.slice(0, this.maxErrorBodyChars)}…` : text;
    return { registry: repo.authority, repository: repo.name, url, status: response.status, answer };
  }

  /**
   * Sends with bounded retries on network errors, timeouts, 408, 429 and 5xx. Returns the last
   * answer when retries run out on a status; throws MANIFEST_UNAVAILABLE when they run out on an
   * exception.
   */
  private async sendWithRetries(request: {
    method: Method;
    url: string;
    headers: Record<string, string>;
    maxBodyBytes: number;
    body?: Uint8Array<ArrayBuffer>;
  }): Promise<HttpResponse> {
    type Attempt = { response?: HttpResponse; error?: unknown };
    const { value, attempts, exhausted } = await retrying<Attempt>(
      this.policy,
      { sleep: this.sleep, random: this.random },
      async (n) => {
        try {
          const response = await this.send({ ...request, timeoutMs: this.timeoutMs });
          if (!isRetryableStatus(response.status)) return { kind: 'done', value: { response } };
          const retryAfterMs = parseRetryAfter(
            response.headers.get('retry-after'),
            this.clock.now().getTime(),
          );
          this.logger?.debug('registry answer will be retried', {
            url: request.url,
            status: response.status,
            attempt: n,
          });
          return { kind: 'retry', retryAfterMs, last: { response } };
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            throw new StreamgateError(
              'MANIFEST_UNAVAILABLE',
              `${request.url} sent more than ${error.limit} bytes.`,
              {
                kind: 'permanent',
                cause: error,
                details: { url: request.url, limit: error.limit },
              },
            );
          }
          this.logger?.debug('registry request failed, will retry', { url: request.url, attempt: n, error });
          return { kind: 'retry', last: { error } };
        }
      },
    );
    if (value.response) {
      if (exhausted) this.logger?.warn('registry retries exhausted', { url: request.url, attempts });
      return value.response;
    }
    const timedOut = value.error instanceof HttpTimeoutError;
    throw new StreamgateError(
      'MANIFEST_UNAVAILABLE',
      `${request.method} ${request.url} ${timedOut ? 'timed out' : 'failed'} after ${attempts} attempt(s): ${describe(value.error)}`,
      { kind: 'transient', cause: value.error, details: { url: request.url, attempts, timedOut } },
    );
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function contentTypeOf(response: HttpResponse): { contentType?: string } {
  const raw = response.headers.get('content-type');
  if (!raw) return {};
  const base = raw.split(';')[0]?.trim().toLowerCase();
  return base ? { contentType: base } : {};
}

function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

/** Passes bytes through, hashing them; fails at the end when they do not hash to `digest`. */
function verifiedStream(source: Readable, digest: string, done: () => void): Readable {
  const hash = createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256');
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = `${digest.split(':')[0]}:${hash.digest('hex')}`;
      callback(
        actual === digest
          ? null
          : new StreamgateError('DIGEST_MISMATCH', `The blob served for ${digest} hashes to ${actual}.`, {
              kind: 'permanent',
              details: { digest, actual },
            }),
      );
    },
  });
  source.on('error', (error) => check.destroy(error));
  check.on('close', done);
  return source.pipe(check);
}
