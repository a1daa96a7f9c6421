/**
 * The Google access token goes only to Google's registries (or our own overrides), and only to the
 * token realm on the same origin as the registry request. Local servers record every Authorization
 * header they receive, so a leak would show up here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  isGoogleRegistryAuthority,
  mayPresentGoogleCredentials,
} from '../../../shared/adapters/registry/auth.js';
import { RegistryClient, type RegistryClientOptions } from '../../../shared/adapters/registry/client.js';
import { fetchWithLimits, type HttpFetch } from '../../../shared/adapters/registry/http.js';
import type { Logger } from '../../../shared/adapters/logger.js';

const ACCESS_TOKEN = 'ya29.google-access-token-that-must-not-leak';
const BASIC = 'Basic ' + Buffer.from(`oauth2accesstoken:${ACCESS_TOKEN}`).toString('base64');
const DIGEST = 'sha256:' + 'a'.repeat(64);
const REPO = 'p/r/img';

interface Seen {
  server: 'registry' | 'realm';
  path: string;
  authorization: string | undefined;
}

/** Records every request; the registry challenges for a Bearer token at `realm`. */
class Recorder {
  seen: Seen[] = [];
  realm = '';
  redirectTokenTo: string | undefined;

  tokenRequests(server?: Seen['server']): Seen[] {
    return this.seen.filter((s) => s.path.includes('token') && (server === undefined || s.server === server));
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('which token realms receive Google credentials', () => {
  const recorder = new Recorder();
  let registryUrl = '';
  let realmUrl = '';
  const registry = createServer((req, res) => {
    const path = req.url ?? '/';
    recorder.seen.push({ server: 'registry', path, authorization: req.headers.authorization });
    if (path.startsWith('/token')) {
      if (recorder.redirectTokenTo !== undefined) {
        res.writeHead(302, { location: `${recorder.redirectTokenTo}${path}` }).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: 'registry-token' }));
      return;
    }
    if (req.headers.authorization?.startsWith('Bearer ')) {
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
      return;
    }
    res
      .writeHead(401, {
        'www-authenticate': `Bearer realm="${recorder.realm}",service="registry",scope="repository:${REPO}:pull"`,
      })
      .end();
  });
  const realm = createServer((req, res) => {
    recorder.seen.push({ server: 'realm', path: req.url ?? '/', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'realm-token' }));
  });

  let accessTokenCalls = 0;
  const logged: string[] = [];
  const logger: Logger = {
    debug: (m, f) => logged.push(m + JSON.stringify(f)),
    info: (m, f) => logged.push(m + JSON.stringify(f)),
    notice: (m, f) => logged.push(m + JSON.stringify(f)),
    warn: (m, f) => logged.push(m + JSON.stringify(f)),
    error: (m, f) => logged.push(m + JSON.stringify(f)),
    critical: (m, f) => logged.push(m + JSON.stringify(f)),
    child: () => logger,
  };

  /**
   * Sends `https://<public host>` requests to the local servers, so the client sees the real
   * hosts (and their origins) while the bytes stay on 127.0.0.1.
   */
  const publicHosts: HttpFetch = (request) => {
    const url = request.url
      .replace(/^https:\/\/(registry\.example\.com|us-central1-docker\.pkg\.dev|gcr\.io)/, registryUrl)
      .replace(/^https:\/\/(auth\.example\.net)/, realmUrl);
    return fetchWithLimits({ ...request, url });
  };

  function client(options: RegistryClientOptions = {}): RegistryClient {
    return new RegistryClient({
      accessToken: async () => {
        accessTokenCalls++;
        return ACCESS_TOKEN;
      },
      retry: { attempts: 1 },
      timeoutMs: 20_000,
      logger,
      ...options,
    });
  }

  beforeAll(async () => {
    registryUrl = await listen(registry);
    realmUrl = await listen(realm);
  });
  afterAll(async () => {
    await Promise.all([close(registry), close(realm)]);
  });
  beforeEach(() => {
    recorder.seen = [];
    recorder.redirectTokenTo = undefined;
    accessTokenCalls = 0;
    logged.length = 0;
  });

  it('an overridden registry whose realm is on its own origin gets the Basic credentials', async () => {
    recorder.realm = `${registryUrl}/token`;
    const c = client({ overrides: new Map([['us-central1-docker.pkg.dev', registryUrl]]) });
    await expect(c.resolveTag({ authority: 'us-central1-docker.pkg.dev', name: REPO }, 'v1')).resolves.toBe(
      DIGEST,
    );
    expect(recorder.tokenRequests().map((s) => s.authorization)).toEqual([BASIC]);
    expect(accessTokenCalls).toBe(1);
  });

  it('a realm on another origin gets an anonymous token request, even for an Artifact Registry host', async () => {
    // 127.0.0.1 on another port: another origin.
    recorder.realm = `${realmUrl}/token`;
    const c = client({ overrides: new Map([['us-central1-docker.pkg.dev', registryUrl]]) });
    await expect(c.resolveTag({ authority: 'us-central1-docker.pkg.dev', name: REPO }, 'v1')).resolves.toBe(
      DIGEST,
    );
    const tokenRequests = recorder.tokenRequests();
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.server).toBe('realm');
    expect(tokenRequests[0]?.authorization).toBeUndefined();
    expect(accessTokenCalls).toBe(0);
  });

  it('Artifact Registry (no override): its own /v2/token realm gets credentials, a foreign realm does not', async () => {
    const c = client({ fetch: publicHosts });
    recorder.realm = 'https://us-central1-docker.pkg.dev/token';
    await c.resolveTag({ authority: 'us-central1-docker.pkg.dev', name: REPO }, 'v1');
    expect(recorder.tokenRequests().map((s) => [s.server, s.authorization])).toEqual([['registry', BASIC]]);

    recorder.seen = [];
    recorder.realm = 'https://auth.example.net/token';
    await client({ fetch: publicHosts }).resolveTag(
      { authority: 'us-central1-docker.pkg.dev', name: REPO },
      'v2',
    );
    expect(recorder.tokenRequests().map((s) => [s.server, s.authorization])).toEqual([['realm', undefined]]);
    expect(accessTokenCalls).toBe(1);
  });

  it('a registry outside Google gets no credentials, even at a realm on its own origin', async () => {
    recorder.realm = 'https://registry.example.com/token';
    const c = client({ fetch: publicHosts });
    await expect(c.resolveTag({ authority: 'registry.example.com', name: REPO }, 'v1')).resolves.toBe(DIGEST);
    const tokenRequests = recorder.tokenRequests();
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.authorization).toBeUndefined();
    expect(recorder.seen.every((s) => s.authorization !== BASIC)).toBe(true);
    expect(accessTokenCalls).toBe(0);
  });

  it('a same-origin realm that redirects elsewhere does not carry the credentials across', async () => {
    recorder.realm = `${registryUrl}/token`;
    recorder.redirectTokenTo = realmUrl;
    const c = client({ overrides: new Map([['us-central1-docker.pkg.dev', registryUrl]]) });
    await c.resolveTag({ authority: 'us-central1-docker.pkg.dev', name: REPO }, 'v1');
    const atRealm = recorder.tokenRequests('realm');
    expect(atRealm).toHaveLength(1);
    expect(atRealm[0]?.authorization).toBeUndefined();
  });

  it('never writes the access token into the logs', async () => {
    recorder.realm = `${realmUrl}/token`;
    const c = client({ overrides: new Map([['us-central1-docker.pkg.dev', registryUrl]]) });
    await c.resolveTag({ authority: 'us-central1-docker.pkg.dev', name: REPO }, 'v1');
    recorder.realm = `${registryUrl}/token`;
    await c.resolveTag({ authority: 'us-central1-docker.pkg.dev', name: 'p/r/other' }, 'v1');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(ACCESS_TOKEN);
    expect(logged.join('\n')).not.toContain(BASIC.slice(6));
  });
});

describe('isGoogleRegistryAuthority', () => {
  it.each([
    ['us-central1-docker.pkg.dev', true],
    ['europe-docker.pkg.dev', true],
    ['gcr.io', true],
    ['eu.gcr.io', true],
    ['US-DOCKER.PKG.DEV', true],
    ['us-docker.pkg.dev:5000', false],
    ['us-docker.pkg.dev.example.com', false],
    ['evilgcr.io', false],
    ['gcr.io.example.com', false],
    ['docker.io', false],
    ['registry-1.docker.io', false],
    ['ghcr.io', false],
    ['127.0.0.1:5000', false],
  ])('%s → %s', (authority, expected) => {
    expect(isGoogleRegistryAuthority(authority)).toBe(expected);
  });
});

describe('mayPresentGoogleCredentials', () => {
  const ar = {
    authority: 'us-docker.pkg.dev',
    registryBaseUrl: 'https://us-docker.pkg.dev',
    overridden: false,
  };
  it('needs the realm on the registry origin (scheme, host and port)', () => {
    expect(mayPresentGoogleCredentials({ ...ar, realm: 'https://us-docker.pkg.dev/v2/token' })).toBe(true);
    expect(mayPresentGoogleCredentials({ ...ar, realm: 'http://us-docker.pkg.dev/v2/token' })).toBe(false);
    expect(mayPresentGoogleCredentials({ ...ar, realm: 'https://us-docker.pkg.dev:8443/v2/token' })).toBe(
      false,
    );
    expect(mayPresentGoogleCredentials({ ...ar, realm: 'https://europe-docker.pkg.dev/v2/token' })).toBe(
      false,
    );
    expect(mayPresentGoogleCredentials({ ...ar, realm: 'not a url' })).toBe(false);
    expect(mayPresentGoogleCredentials({ ...ar, realm: 'file:///v2/token' })).toBe(false);
  });
  it('an override makes any authority trusted, but only at the override origin', () => {
    const local = { authority: 'docker.io', registryBaseUrl: 'http://127.0.0.1:5001', overridden: true };
    expect(mayPresentGoogleCredentials({ ...local, realm: 'http://127.0.0.1:5001/v2/token' })).toBe(true);
    expect(mayPresentGoogleCredentials({ ...local, realm: 'http://127.0.0.1:5002/v2/token' })).toBe(false);
    expect(
      mayPresentGoogleCredentials({ ...local, overridden: false, realm: 'http://127.0.0.1:5001/v2/token' }),
    ).toBe(false);
  });
});
