import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { RegistryClient, type RegistryClientOptions } from '../../../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../../../shared/adapters/registry/image-resolver.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { DEFAULT_PLATFORM } from '../../../shared/core/platform.js';
import { buildImage, makeLayer, Pusher, sha256, type BuiltImage } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const NAME = 'demo-project/apps/faulty';
const repo = { authority: HOST, name: NAME };

/** Records every wait instead of waiting. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

function clientFor(url: string, options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    overrides: new Map([[HOST, url]]),
    accessToken: async () => 'access',
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 60_000 },
    // Far beyond any answer of a loopback server, even on a busy machine: a timed-out attempt
    // would be retried and take one more injected fault than the test planned.
    timeoutMs: 20_000,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<StreamgateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StreamgateError);
  return error as StreamgateError;
}

/** A tiny server answering with `handler`, on 127.0.0.1:0. */
async function tinyServer(
  handler: (req: IncomingMessage, res: ServerResponse, base: string) => void,
): Promise<{
  url: string;
  hits: string[];
  close(): Promise<void>;
}> {
  const hits: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res, base);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('registry faults (stand-in with fault injection)', () => {
  let registry: RegistryStandIn;
  let image: BuiltImage;

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0 });
    image = buildImage([await makeLayer({ 'f.txt': 'faults' })]);
    await new Pusher(registry.url).pushImage(NAME, image, 'v1');
  });
  afterEach(() => registry.setFaults({}));
  afterAll(async () => registry.close());

  it('retries 500s with backoff and then succeeds', async () => {
    registry.setFaults({ statuses: [500, 503] });
    const { sleep, waits } = recordingSleep();
    const before = registry.requests;
    const digest = await clientFor(registry.url, { sleep, random: () => 0.5 }).resolveTag(repo, 'v1');
    expect(digest).toBe(image.digest);
    expect(registry.requests - before).toBe(3);
    // Full jitter: half of base*2^0 = 0.5 → 0, half of base*2^1 = 1 → 1 (floored).
    expect(waits).toEqual([0, 1]);
  });

  it('honours Retry-After seconds on 429', async () => {
    registry.setFaults({ statuses: [429], retryAfter: '3' });
    const { sleep, waits } = recordingSleep();
    expect(await clientFor(registry.url, { sleep }).resolveTag(repo, 'v1')).toBe(image.digest);
    expect(waits).toEqual([3000]);
  });

  it('honours Retry-After as an HTTP date, and caps it', async () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    registry.setFaults({ statuses: [429, 429], retryAfter: new Date(now + 7_000).toUTCString() });
    const { sleep, waits } = recordingSleep();
    const client = clientFor(registry.url, {
      sleep,
      clock: { now: () => new Date(now) },
      retry: { attempts: 3, maxRetryAfterMs: 5_000 },
    });
    expect(await client.resolveTag(repo, 'v1')).toBe(image.digest);
    expect(waits).toEqual([5_000, 5_000]);
  });

  it('turns exhausted retries into MANIFEST_UNAVAILABLE (transient) with the status and answer', async () => {
    registry.setFaults({ statuses: [503, 503, 503] });
    const { sleep } = recordingSleep();
    // A GET, so the answer has a body to quote (HEAD answers have none).
    const error = await failure(clientFor(registry.url, { sleep }).getManifest(repo, image.digest));
    expect(error.code).toBe('MANIFEST_UNAVAILABLE');
    expect(error.kind).toBe('transient');
    expect(error.details).toMatchObject({ status: 503 });
    expect(String(error.details.answer)).toContain('injected fault');
    expect(error.message).toContain('503');
  });

  it('times out slow answers and reports MANIFEST_UNAVAILABLE (transient)', async () => {
    // A server that never answers: the call can only settle through the client's timeout. (The
    // stand-in's delayMs would leave sleeping handlers behind that answer a later test's request
    // with that test's injected faults.)
    const server = await tinyServer(() => undefined);
    try {
      const { sleep } = recordingSleep();
      const client = clientFor(server.url, { sleep, timeoutMs: 50, retry: { attempts: 2 } });
      const error = await failure(client.resolveTag(repo, 'v1'));
      expect(error).toMatchObject({ code: 'MANIFEST_UNAVAILABLE', kind: 'transient' });
      expect(error.details).toMatchObject({ timedOut: true, attempts: 2 });
      expect(server.hits).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('never trusts a manifest whose bytes do not match its digest', async () => {
    registry.setFaults({ corruptBody: true });
    const error = await failure(clientFor(registry.url).getManifest(repo, image.digest));
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH', kind: 'permanent' });
  });

  it('maps 404 to IMAGE_NOT_FOUND (permanent) without retrying', async () => {
    const { sleep, waits } = recordingSleep();
    const missing = sha256(Buffer.from('missing'));
    const error = await failure(clientFor(registry.url, { sleep }).getManifest(repo, missing));
    expect(error).toMatchObject({ code: 'IMAGE_NOT_FOUND', kind: 'permanent' });
    expect(waits).toEqual([]);
  });

  it('the resolver propagates a transient failure instead of producing a verdict', async () => {
    registry.setFaults({ statuses: [502, 502, 502] });
    const resolver = new RegistryImageResolver(clientFor(registry.url, { sleep: recordingSleep().sleep }));
    const error = await failure(
      resolver.resolve(parseImageReference(`${HOST}/${NAME}:v1`), DEFAULT_PLATFORM),
    );
    expect(error).toMatchObject({ code: 'MANIFEST_UNAVAILABLE', kind: 'transient' });
  });
});

describe('registry faults (small purpose-built servers)', () => {
  it('a 401 after a fresh token is REGISTRY_AUTH_FAILED (permanent), not a loop', async () => {
    const server = await tinyServer((req, res, base) => {
      if (req.url?.startsWith('/v2/token')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token: 'never-good-enough', expires_in: 300 }));
        return;
      }
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="${base}/v2/token",service="${HOST}",scope="repository:${NAME}:pull"`,
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    });
    try {
      const error = await failure(clientFor(server.url).resolveTag(repo, 'v1'));
      expect(error).toMatchObject({ code: 'REGISTRY_AUTH_FAILED', kind: 'permanent' });
      expect(server.hits.filter((h) => h.startsWith('GET /v2/token'))).toHaveLength(1);
      expect(server.hits.filter((h) => h.startsWith('HEAD'))).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('sends Basic oauth2accesstoken credentials to the realm with service and scope', async () => {
    const seen: { authorization?: string; url?: string }[] = [];
    const body = Buffer.from('{"schemaVersion":2}');
    const server = await tinyServer((req, res, base) => {
      if (req.url?.startsWith('/v2/token')) {
        seen.push({ authorization: req.headers.authorization, url: req.url });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'good' }));
        return;
      }
      if (req.headers.authorization !== 'Bearer good') {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer realm="${base}/v2/token",service="svc",scope="repository:${NAME}:pull"`,
        });
        res.end();
        return;
      }
      res.writeHead(200, { 'Docker-Content-Digest': sha256(body), 'Content-Type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    try {
      expect(
        await clientFor(server.url, { accessToken: async () => 'ya29.abc' }).resolveTag(repo, 'v1'),
      ).toBe(sha256(body));
      expect(seen).toHaveLength(1);
      expect(seen[0]?.authorization).toBe(
        'Basic ' + Buffer.from('oauth2accesstoken:ya29.abc').toString('base64'),
      );
      const tokenUrl = new URL(seen[0]?.url ?? '', server.url);
      expect(tokenUrl.searchParams.get('service')).toBe('svc');
      expect(tokenUrl.searchParams.get('scope')).toBe(`repository:${NAME}:pull`);
    } finally {
      await server.close();
    }
  });

  it('falls back to GET and hashes the body when HEAD gives no digest; sends the Accept list', async () => {
    const body = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
    );
    const accepts: string[] = [];
    const server = await tinyServer((req, res) => {
      accepts.push(String(req.headers.accept));
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    try {
      const client = clientFor(server.url);
      expect(await client.resolveTag(repo, 'v1')).toBe(sha256(body));
      expect(server.hits.map((h) => h.split(' ')[0])).toEqual(['HEAD', 'GET']);
      // The GET body was cached under its digest: reading the manifest costs nothing more.
      await client.getManifest(repo, sha256(body));
      expect(server.hits).toHaveLength(2);
      for (const accept of accepts) {
        for (const type of [
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.v1+json',
        ]) {
          expect(accept).toContain(type);
        }
      }
    } finally {
      await server.close();
    }
  });

  it('a GET whose Docker-Content-Digest disagrees with the body is DIGEST_MISMATCH', async () => {
    const server = await tinyServer((req, res) => {
      res.writeHead(200, {
        'Docker-Content-Digest': req.method === 'HEAD' ? 'bogus' : sha256(Buffer.from('x')),
      });
      res.end(req.method === 'HEAD' ? undefined : '{"schemaVersion":2}');
    });
    try {
      const error = await failure(clientFor(server.url).resolveTag(repo, 'v1'));
      expect(error.code).toBe('DIGEST_MISMATCH');
    } finally {
      await server.close();
    }
  });

  it('aborts manifests larger than the cap', async () => {
    const server = await tinyServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // Streams without Content-Length so the cap must act while reading.
      for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 32));
      res.end();
    });
    try {
      const error = await failure(
        clientFor(server.url, { maxManifestBytes: 8 * 1024 }).getManifest(repo, sha256(Buffer.from('big'))),
      );
      expect(error.code).toBe('MANIFEST_UNAVAILABLE');
      expect(error.details).toMatchObject({ limit: 8 * 1024 });
    } finally {
      await server.close();
    }
  });

  it('an unreachable registry is MANIFEST_UNAVAILABLE (transient) after the retries', async () => {
    const server = await tinyServer((_req, res) => res.end());
    const url = server.url;
    await server.close();
    const { sleep, waits } = recordingSleep();
    const error = await failure(clientFor(url, { sleep }).resolveTag(repo, 'v1'));
    expect(error).toMatchObject({ code: 'MANIFEST_UNAVAILABLE', kind: 'transient' });
    expect(error.details).toMatchObject({ attempts: 3 });
    expect(waits).toHaveLength(2);
  });
});
