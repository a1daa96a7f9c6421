/**
 * The live check in-process, against the registry stand-in with Artifact Registry-style token auth
 * and the Artifact Registry API stand-in for repository facts: the CLI's own client gets a token,
 * facts reach the report, and failures and slow APIs are bounded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startArtifactRegistryStandIn,
  type ArtifactRegistryStandIn,
} from '../../../infra/local/artifact-registry/server.js';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { checkLive, type LiveCheckArgs, type LiveCheckDeps } from '../../../cli/check-live.js';
import { DEFAULT_PLATFORM } from '../../../shared/core/platform.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const ACCESS_TOKEN = 'local-access-token';
const IMAGE = `${HOST}/demo-project/apps/web:v1`;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Captured {
  code: number;
  out: string[];
  err: string[];
}

describe('streamgate check IMAGE_REF against the stand-ins (token auth)', () => {
  let registry: RegistryStandIn;
  let ar: ArtifactRegistryStandIn;
  let silent: Server;
  let silentPort = 0;
  const sockets = new Set<Socket>();
  let tokenCalls = 0;

  const deps = (overrides: Partial<LiveCheckDeps> = {}): LiveCheckDeps => ({
    overrides: new Map([
      [HOST, registry.url],
      ['registry.example.com', registry.url],
    ]),
    accessToken: async () => {
      tokenCalls++;
      return ACCESS_TOKEN;
    },
    env: { ARTIFACT_REGISTRY_API_ENDPOINT: ar.address, SERVICE_USAGE_API_ENDPOINT: ar.address },
    ...overrides,
  });

  async function check(
    imageRef: string,
    d: LiveCheckDeps,
    extra: Partial<LiveCheckArgs> = {},
  ): Promise<Captured> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkLive(
      {
        imageRef,
        platform: DEFAULT_PLATFORM,
        json: true,
        io: { out: (t) => out.push(t), err: (t) => err.push(t) },
        timeoutMs: 20_000,
        ...extra,
      },
      d,
    );
    return { code, out, err };
  }

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0, auth: { accessToken: ACCESS_TOKEN } });
    const image = buildImage([await makeLayer({ 'srv/app': 'web' }), await makeLayer({ 'etc/conf': 'x' })]);
    await new Pusher(registry.url, { accessToken: ACCESS_TOKEN }).pushImage(
      'demo-project/apps/web',
      image,
      'v1',
    );
    ar = await startArtifactRegistryStandIn({
      port: 0,
      repositories: [
        {
          name: 'projects/demo-project/locations/us-central1/repositories/apps',
          kmsKeyName: 'projects/demo-project/locations/us-central1/keyRings/k/cryptoKeys/c',
        },
      ],
    });
    // Accepts connections and never answers: an API that hangs.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([
      registry?.close(),
      ar?.close(),
      new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve())),
    ]);
  });

  it('gets a registry token with the access token, judges the image and reports the repository facts', async () => {
    const tokensBefore = registry.tokenRequests;
    tokenCalls = 0;
    const run = await check(IMAGE, deps());
    expect(run.err).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.out).toHaveLength(1);
    const json = JSON.parse(run.out[0] ?? '') as { verdict: string; warnings: { code: string }[] };
    expect(json.verdict).toBe('eligible');
    // The CMEK key came from the Artifact Registry API stand-in.
    expect(json.warnings.map((w) => w.code)).toContain('CMEK_REPOSITORY');
    expect(json.warnings.map((w) => w.code)).not.toContain('REPOSITORY_FACTS_UNAVAILABLE');
    expect(registry.tokenRequests).toBeGreaterThan(tokensBefore);
    expect(tokenCalls).toBeGreaterThan(0);
    expect(ar.calls.GetRepository ?? 0).toBeGreaterThan(0);
  });

  it('a wrong access token: exit 2 and the token endpoint answer on stderr', async () => {
    const run = await check(IMAGE, deps({ accessToken: async () => 'not-the-token' }));
    expect(run.code).toBe(2);
    expect(run.out).toEqual([]);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(
      /^streamgate: cannot read us-central1-docker\.pkg\.dev\/demo-project\/apps\/web:v1: 401 /,
    );
    expect(run.err[0]).toContain('UNAUTHORIZED');
  });

  it('a missing tag: exit 2 with the 404', async () => {
    const run = await check(`${HOST}/demo-project/apps/web:nope`, deps());
    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(/^streamgate: cannot read \S+:nope: 404\b/);
  });

  it('a registry outside Artifact Registry: NOT_ARTIFACT_REGISTRY, and nothing is sent to it', async () => {
    const requestsBefore = registry.requests;
    tokenCalls = 0;
    const run = await check('registry.example.com/demo-project/apps/web:v1', deps());
    expect(run.code).toBe(1);
    const json = JSON.parse(run.out[0] ?? '') as { verdict: string; reasons: { code: string }[] };
    expect(json.verdict).toBe('ineligible');
    expect(json.reasons.map((r) => r.code)).toEqual(['NOT_ARTIFACT_REGISTRY']);
    expect(registry.requests).toBe(requestsBefore);
    expect(tokenCalls).toBe(0);
  });

  it('bin/streamgate gets its Google access token through Application Default Credentials', async () => {
    // ADC from an external_account credential file whose STS endpoint is a local token exchange
    // (RFC 8693): google-auth-library does the real exchange, and the STS access token is what the
    // registry stand-in accepts. No injected token source: this is the CLI's own default.
    const exchanges: string[] = [];
    const sts = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        exchanges.push(new URLSearchParams(body).get('subject_token') ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: ACCESS_TOKEN,
            issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            token_type: 'Bearer',
            expires_in: 3600,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
    const dir = await mkdtemp(join(tmpdir(), 'streamgate-adc-'));
    try {
      const stsPort = (sts.address() as { port: number }).port;
      await writeFile(join(dir, 'subject.jwt'), 'local-subject-token');
      await writeFile(
        join(dir, 'adc.json'),
        JSON.stringify({
          type: 'external_account',
          audience:
            '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/local',
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
          token_url: `http://127.0.0.1:${stsPort}/v1/token`,
          credential_source: { file: join(dir, 'subject.jwt') },
        }),
      );
      const tokensBefore = registry.tokenRequests;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'adc.json'),
        STREAMGATE_REGISTRY_OVERRIDES: `${HOST}=${registry.url}`,
        ARTIFACT_REGISTRY_API_ENDPOINT: ar.address,
        SERVICE_USAGE_API_ENDPOINT: ar.address,
        METADATA_SERVER_DETECTION: 'none',
      };
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['bin/streamgate', 'check', IMAGE, '--json'],
          { cwd: ROOT, env, timeout: 25_000 },
          (error, stdout, stderr) =>
            resolve({
              code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
              stdout,
              stderr,
            }),
        );
      });
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as { verdict: string }).verdict).toBe('eligible');
      expect(exchanges).toContain('local-subject-token');
      expect(registry.tokenRequests).toBeGreaterThan(tokensBefore);
    } finally {
      await new Promise<void>((resolve) => sts.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an Artifact Registry API that never answers costs at most the facts deadline', async () => {
    const started = Date.now();
    const run = await check(
      IMAGE,
      deps({
        env: {
          ARTIFACT_REGISTRY_API_ENDPOINT: `127.0.0.1:${silentPort}`,
          SERVICE_USAGE_API_ENDPOINT: `127.0.0.1:${silentPort}`,
        },
      }),
      { timeoutMs: 600 },
    );
    const elapsed = Date.now() - started;
    expect(run.code).toBe(0);
    const json = JSON.parse(run.out[0] ?? '') as { warnings: { code: string }[] };
    expect(json.warnings.map((w) => w.code)).toContain('REPOSITORY_FACTS_UNAVAILABLE');
    // Unbounded, the silent endpoint would hold the check for gax's 60 s default.
    expect(elapsed).toBeLessThan(20_000);
  });
});
