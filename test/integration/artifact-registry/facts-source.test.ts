import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge } from '../../../shared/core/eligibility.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import type { RepositoryFactsSource } from '../../../shared/core/ports.js';
import { createLogger } from '../../../shared/adapters/logger.js';
import {
  artifactRegistryFactsSourceFromEnv,
  createArtifactRegistryFactsSource,
  type ArtifactRegistryFactsOptions,
  type ArtifactRegistryFactsSource,
} from '../../../shared/adapters/artifact-registry/facts-source.js';
import {
  artifactRegistryEndpointsFromEnv,
  parseEndpoint,
} from '../../../shared/adapters/artifact-registry/endpoints.js';
import {
  startArtifactRegistryStandIn,
  type ArtifactRegistryStandIn,
} from '../../../infra/local/artifact-registry/server.js';
import { mirrorPush } from '../../../infra/local/artifact-registry/pushed-image.js';
import {
  arReference,
  captureLogs,
  closedPort,
  DIGEST,
  gcrReference,
  OTHER_DIGEST,
  silentServer,
} from './helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_IMAGE = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 2 },
  layers: [],
};
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const KMS = 'projects/keys/locations/us-central1/keyRings/ring/cryptoKeys/key';
const repo = (location: string, id: string, project = 'demo-project') =>
  `projects/${project}/locations/${location}/repositories/${id}`;

let standIn: ArtifactRegistryStandIn;
let deadPort: number;
const sources: ArtifactRegistryFactsSource[] = [];

beforeAll(async () => {
  standIn = await startArtifactRegistryStandIn({
    port: 0,
    repositories: [
      { name: repo('us-central1', 'apps') },
      { name: repo('us-central1', 'mirror'), mode: 'REMOTE_REPOSITORY' },
      { name: repo('us', 'all'), mode: 'VIRTUAL_REPOSITORY' },
      { name: repo('us-central1', 'secret'), kmsKeyName: KMS },
      { name: repo('us-central1', 'jars'), format: 'MAVEN' },
    ],
    services: [{ project: 'off-project', service: 'containerfilesystem.googleapis.com', state: 'DISABLED' }],
  });
  mirrorPush(standIn, {
    uri: `us-central1-docker.pkg.dev/demo-project/apps/web/api/v2@${DIGEST}`,
    mediaType: OCI_MANIFEST,
  });
  mirrorPush(standIn, {
    uri: `us-central1-docker.pkg.dev/demo-project/apps/tool@${DIGEST}`,
    mediaType: DOCKER_MANIFEST,
  });
  mirrorPush(standIn, { uri: `eu.gcr.io/legacy-project/builder@${DIGEST}`, mediaType: DOCKER_MANIFEST });
  deadPort = await closedPort();
});

afterAll(async () => {
  await Promise.all(sources.map((source) => source.close()));
  await standIn?.close();
});

/** A source aimed at the stand-in, as ARTIFACT_REGISTRY_API_ENDPOINT / SERVICE_USAGE_API_ENDPOINT would. */
function localSource(extra: Partial<ArtifactRegistryFactsOptions> = {}) {
  const endpoint = parseEndpoint(standIn.address, 'test');
  const source = createArtifactRegistryFactsSource({
    artifactRegistryEndpoint: endpoint,
    serviceUsageEndpoint: endpoint,
    logger: createLogger({}, () => {}),
    ...extra,
  });
  sources.push(source);
  return source;
}

const calls = (rpc: string) => standIn.calls[rpc] ?? 0;

describe('facts(): repository facts from the Artifact Registry API', () => {
  it('implements the pipeline port', async () => {
    const port: RepositoryFactsSource = localSource(); // compile-time check of the contract
    expect(await port.facts(arReference('us-central1', 'demo-project', 'apps', 'tool'), DIGEST)).not.toBe(
      'unavailable',
    );
  });

  it('reads a STANDARD Docker repository and the image media type for the cross-check', async () => {
    const facts = await localSource().facts(
      arReference('us-central1', 'demo-project', 'apps', 'tool'),
      DIGEST,
    );
    expect(facts).toEqual({ format: 'DOCKER', mode: 'STANDARD', imageMediaType: DOCKER_MANIFEST });
  });

  it.each([
    ['mirror', 'us-central1', 'REMOTE'],
    ['all', 'us', 'VIRTUAL'],
  ] as const)('maps the %s repository mode to %s', async (id, location, mode) => {
    const facts = await localSource().facts(arReference(location, 'demo-project', id, 'anything'), DIGEST);
    expect(facts).toEqual({ format: 'DOCKER', mode });
  });

  it('reports the CMEK key of an encrypted repository', async () => {
    const facts = await localSource().facts(
      arReference('us-central1', 'demo-project', 'secret', 'img'),
      DIGEST,
    );
    expect(facts).toMatchObject({ kmsKeyName: KMS, mode: 'STANDARD' });
  });

  it('reports a non-DOCKER format and does not look for a docker image in it', async () => {
    const before = calls('GetDockerImage');
    const facts = await localSource().facts(
      arReference('us-central1', 'demo-project', 'jars', 'lib'),
      DIGEST,
    );
    expect(facts).toEqual({ format: 'MAVEN', mode: 'STANDARD' });
    expect(calls('GetDockerImage')).toBe(before);
  });

  it('finds nested image names (IMAGE with "/" is sent as %2F)', async () => {
    const facts = await localSource().facts(
      arReference('us-central1', 'demo-project', 'apps', 'web/api/v2'),
      DIGEST,
    );
    expect(facts).toMatchObject({ imageMediaType: OCI_MANIFEST });
  });

  it('maps eu.gcr.io to the europe repository named after the host', async () => {
    const facts = await localSource().facts(gcrReference('eu.gcr.io', 'legacy-project', 'builder'), DIGEST);
    expect(facts).toEqual({ format: 'DOCKER', mode: 'STANDARD', imageMediaType: DOCKER_MANIFEST });
  });

  it('keeps the repository facts when the docker image is NOT_FOUND', async () => {
    const facts = await localSource().facts(
      arReference('us-central1', 'demo-project', 'apps', 'tool'),
      OTHER_DIGEST,
    );
    expect(facts).toEqual({ format: 'DOCKER', mode: 'STANDARD' });
  });

  it("answers 'unavailable' for an unknown repository and for hosts that are not Artifact Registry", async () => {
    const source = localSource();
    expect(await source.facts(arReference('us-central1', 'demo-project', 'nope', 'x'), DIGEST)).toBe(
      'unavailable',
    );
    const before = calls('GetRepository');
    expect(await source.facts(parseImageReference('docker.io/library/alpine:3'), DIGEST)).toBe('unavailable');
    expect(calls('GetRepository')).toBe(before);
  });

  it('refuses a malformed digest as a permanent error', async () => {
    await expect(
      localSource().facts(arReference('us-central1', 'demo-project', 'apps', 'tool'), 'sha256:xyz'),
    ).rejects.toMatchObject({
      code: 'INVALID_IMAGE_REFERENCE',
      kind: 'permanent',
    });
  });
});

describe('facts(): caching', () => {
  it('memoizes repository facts per repository until the TTL runs out', async () => {
    let now = 1_000_000;
    const source = localSource({ clock: { now: () => new Date(now) }, repositoryTtlMs: 60_000 });
    const ref = arReference('us-central1', 'demo-project', 'mirror', 'a');
    const first = calls('GetRepository');
    await source.facts(ref, DIGEST);
    await source.facts(ref, OTHER_DIGEST);
    await source.facts(arReference('us-central1', 'demo-project', 'mirror', 'b'), DIGEST);
    expect(calls('GetRepository')).toBe(first + 1);
    now += 60_001;
    await source.facts(ref, DIGEST);
    expect(calls('GetRepository')).toBe(first + 2);
  });

  it('shares one GetRepository between concurrent callers and sees a changed repository after the TTL', async () => {
    let now = 0;
    const name = repo('us-central1', 'changing');
    standIn.addRepository({ name, mode: 'STANDARD_REPOSITORY' });
    const source = localSource({ clock: { now: () => new Date(now) }, repositoryTtlMs: 1_000 });
    const ref = arReference('us-central1', 'demo-project', 'changing', 'img');
    const before = calls('GetRepository');
    const answers = await Promise.all([
      source.facts(ref, DIGEST),
      source.facts(ref, DIGEST),
      source.facts(ref, DIGEST),
    ]);
    expect(answers.every((a) => typeof a === 'object' && 'mode' in a && a.mode === 'STANDARD')).toBe(true);
    expect(calls('GetRepository')).toBe(before + 1);
    standIn.addRepository({ name, mode: 'REMOTE_REPOSITORY', kmsKeyName: KMS });
    expect(await source.facts(ref, DIGEST)).toMatchObject({ mode: 'STANDARD' });
    now += 1_001;
    expect(await source.facts(ref, DIGEST)).toMatchObject({ mode: 'REMOTE', kmsKeyName: KMS });
  });

  it('does not cache a NOT_FOUND docker image, so a late-indexed push is seen', async () => {
    const source = localSource();
    const ref = arReference('us-central1', 'demo-project', 'apps', 'late');
    expect(await source.facts(ref, DIGEST)).not.toHaveProperty('imageMediaType');
    mirrorPush(standIn, {
      uri: `us-central1-docker.pkg.dev/demo-project/apps/late@${DIGEST}`,
      mediaType: OCI_MANIFEST,
    });
    expect(await source.facts(ref, DIGEST)).toMatchObject({ imageMediaType: OCI_MANIFEST });
  });
});

describe('apiEnabled(): containerfilesystem.googleapis.com via Service Usage', () => {
  it('is true where ENABLED and false where DISABLED', async () => {
    const source = localSource();
    expect(await source.apiEnabled('demo-project')).toBe(true);
    expect(await source.apiEnabled('off-project')).toBe(false);
  });

  it("is 'unknown' when Service Usage cannot be reached, and for a malformed project", async () => {
    const source = localSource({ serviceUsageEndpoint: { host: '127.0.0.1', port: deadPort } });
    expect(await source.apiEnabled('demo-project')).toBe('unknown');
    expect(await localSource().apiEnabled('Not A Project')).toBe('unknown');
  });

  it('caches the answer per project for the TTL (injected clock)', async () => {
    let now = 0;
    const source = localSource({ clock: { now: () => new Date(now) }, apiStatusTtlMs: 300_000 });
    standIn.setServiceState('cache-project', 'containerfilesystem.googleapis.com', 'ENABLED');
    const before = calls('GetService');
    expect(await source.apiEnabled('cache-project')).toBe(true);
    standIn.setServiceState('cache-project', 'containerfilesystem.googleapis.com', 'DISABLED');
    expect(await source.apiEnabled('cache-project')).toBe(true);
    expect(calls('GetService')).toBe(before + 1);
    expect(await source.apiEnabled('other-cache-project')).toBe(true);
    expect(calls('GetService')).toBe(before + 2);
    now += 300_001;
    expect(await source.apiEnabled('cache-project')).toBe(false);
    expect(calls('GetService')).toBe(before + 3);
  });
});

describe('when the API cannot be reached', () => {
  it("without an explicit endpoint: 'unavailable', one WARNING, then a short back-off", async () => {
    const logs = captureLogs();
    let now = 0;
    const source = createArtifactRegistryFactsSource({
      // The default-endpoint client, aimed at a closed local port instead of the (closed) internet.
      defaultClientOptions: {
        apiEndpoint: '127.0.0.1',
        port: deadPort,
        sslCreds: (await import('@grpc/grpc-js')).credentials.createInsecure(),
      },
      logger: createLogger({}, logs.sink),
      clock: { now: () => new Date(now) },
      unavailableBackoffMs: 30_000,
      timeoutMs: 20_000,
    });
    const ref = arReference('us-central1', 'demo-project', 'apps', 'tool');
    expect(await source.facts(ref, DIGEST)).toBe('unavailable');
    now += 1_000;
    expect(await source.facts(ref, DIGEST)).toBe('unavailable');
    now += 30_000;
    expect(await source.facts(ref, DIGEST)).toBe('unavailable');
    const warnings = logs.lines.filter((l) => l.severity === 'WARNING');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ grpcCode: 14 });
    expect(await source.apiEnabled('demo-project')).toBe('unknown');
  });

  it('without an explicit endpoint and without any credentials: the remedy names the credential settings', async () => {
    // TLS + ADC towards a closed local port, with ADC made empty: no key file, no gcloud config,
    // no metadata server (vitest sets METADATA_SERVER_DETECTION=none).
    const saved = { ...process.env };
    const empty = await mkdtemp(join(tmpdir(), 'streamgate-no-adc-'));
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.CLOUDSDK_CONFIG = empty;
    process.env.HOME = empty;
    try {
      let now = 0;
      const source = createArtifactRegistryFactsSource({
        defaultClientOptions: { apiEndpoint: '127.0.0.1', port: deadPort },
        logger: createLogger({}, () => {}),
        timeoutMs: 20_000,
        clock: { now: () => new Date(now) },
      });
      const ref = arReference('us-central1', 'demo-project', 'apps', 'tool');
      const answer = await source.facts(ref, DIGEST);
      expect(answer).toEqual({
        notConfigured: {
          why: expect.stringContaining('no Google credentials') as string,
          remedy: expect.stringMatching(
            /GOOGLE_APPLICATION_CREDENTIALS.*ARTIFACT_REGISTRY_API_ENDPOINT/,
          ) as string,
        },
      });
      now += 1_000; // within the back-off: the same answer, without asking again
      expect(await source.facts(ref, DIGEST)).toEqual(answer);
      const report = judge({ manifest: { document: OCI_IMAGE }, repository: answer });
      const warning = report.warnings.find((w) => w.code === 'REPOSITORY_FACTS_UNAVAILABLE');
      expect(warning?.message).toContain('GOOGLE_APPLICATION_CREDENTIALS');
      expect(warning?.message).not.toContain('roles/artifactregistry.reader');
    } finally {
      process.env = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('a registry behind a local override is not asked about Google-side; the remedy names ARTIFACT_REGISTRY_API_ENDPOINT', async () => {
    const source = createArtifactRegistryFactsSource({
      defaultClientOptions: { apiEndpoint: '127.0.0.1', port: deadPort },
      overrides: new Map([['us-central1-docker.pkg.dev', 'http://127.0.0.1:5000']]),
      logger: createLogger({}, () => {}),
      timeoutMs: 20_000,
    });
    const answer = await source.facts(arReference('us-central1', 'demo-project', 'apps', 'tool'), DIGEST);
    expect(answer).toEqual({
      notConfigured: {
        why: 'us-central1-docker.pkg.dev is a local registry (STREAMGATE_REGISTRY_OVERRIDES) and ARTIFACT_REGISTRY_API_ENDPOINT is not set',
        remedy: expect.stringContaining('set ARTIFACT_REGISTRY_API_ENDPOINT') as string,
      },
    });
    const report = judge({ manifest: { document: OCI_IMAGE }, repository: answer });
    expect(report.warnings.map((w) => w.code)).toEqual(['REPOSITORY_FACTS_UNAVAILABLE']);
    expect(report.warnings[0]?.message).toMatch(/because us-central1-docker\.pkg\.dev is a local registry/);
    expect(report.warnings[0]?.message).not.toContain('roles/artifactregistry.reader');
    // Another host is still asked (and, here, cannot be: no route or no credentials).
    const other = await source.facts(arReference('europe-west1', 'demo-project', 'apps', 'tool'), DIGEST);
    expect(JSON.stringify(other)).not.toContain('local registry');
  });

  it('with an explicit endpoint, an overridden registry is asked as usual', async () => {
    const source = localSource({
      overrides: new Map([['us-central1-docker.pkg.dev', 'http://127.0.0.1:5000']]),
    });
    expect(await source.facts(arReference('us-central1', 'demo-project', 'mirror', 'x'), DIGEST)).toEqual({
      format: 'DOCKER',
      mode: 'REMOTE',
    });
  });

  it('with an explicit endpoint: a transient ARTIFACT_REGISTRY_UNAVAILABLE error', async () => {
    const source = localSource({ artifactRegistryEndpoint: { host: '127.0.0.1', port: deadPort } });
    const failure = await source
      .facts(arReference('us-central1', 'demo-project', 'apps', 'tool'), DIGEST)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StreamgateError);
    expect(failure).toMatchObject({ code: 'ARTIFACT_REGISTRY_UNAVAILABLE', kind: 'transient' });
    expect((failure as StreamgateError).cause).toMatchObject({ code: 14 });
  });

  it('bounds a silent endpoint by the call timeout (DEADLINE_EXCEEDED)', async () => {
    const silent = await silentServer();
    try {
      const source = localSource({
        artifactRegistryEndpoint: { host: '127.0.0.1', port: silent.port },
        timeoutMs: 300,
      });
      const started = Date.now();
      const failure = await source
        .facts(arReference('us-central1', 'demo-project', 'apps', 'tool'), DIGEST)
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'ARTIFACT_REGISTRY_UNAVAILABLE', kind: 'transient' });
      expect((failure as StreamgateError).cause).toMatchObject({ code: 4 });
      // gax's own default is 60 s: far beyond this bound even on a busy machine.
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await silent.close();
    }
  });
});

describe('endpoint configuration', () => {
  it('reads host:port from the environment variables', () => {
    expect(
      artifactRegistryEndpointsFromEnv({
        ARTIFACT_REGISTRY_API_ENDPOINT: '127.0.0.1:7003',
        SERVICE_USAGE_API_ENDPOINT: '[::1]:7004',
      }),
    ).toEqual({
      artifactRegistryEndpoint: { host: '127.0.0.1', port: 7003 },
      serviceUsageEndpoint: { host: '::1', port: 7004 },
    });
    expect(artifactRegistryEndpointsFromEnv({ ARTIFACT_REGISTRY_API_ENDPOINT: '' })).toEqual({});
  });

  it('builds a source from the environment that talks to the stand-in', async () => {
    const source = artifactRegistryFactsSourceFromEnv(
      { logger: createLogger({}, () => {}) },
      { ARTIFACT_REGISTRY_API_ENDPOINT: standIn.address, SERVICE_USAGE_API_ENDPOINT: standIn.address },
    );
    sources.push(source);
    expect(await source.facts(arReference('us-central1', 'demo-project', 'mirror', 'x'), DIGEST)).toEqual({
      format: 'DOCKER',
      mode: 'REMOTE',
    });
    expect(await source.apiEnabled('off-project')).toBe(false);
  });

  it('rejects a malformed endpoint with CONFIG_INVALID', () => {
    for (const bad of ['localhost', 'http://127.0.0.1:80', '127.0.0.1:0', '127.0.0.1:99999']) {
      expect(() => parseEndpoint(bad, 'ARTIFACT_REGISTRY_API_ENDPOINT')).toThrowError(
        expect.objectContaining({ code: 'CONFIG_INVALID', kind: 'permanent' }),
      );
    }
  });
});
