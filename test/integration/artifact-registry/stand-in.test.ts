import { credentials } from '@grpc/grpc-js';
import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { ServiceUsageClient } from '@google-cloud/service-usage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerImageFromPush,
  imageSizeFromManifest,
  mirrorPush,
} from '../../../infra/local/artifact-registry/pushed-image.js';
import {
  startArtifactRegistryStandIn,
  type ArtifactRegistryStandIn,
} from '../../../infra/local/artifact-registry/server.js';
import { DIGEST, OTHER_DIGEST } from './helpers.js';

const REPO = 'projects/demo-project/locations/us-central1/repositories/apps';

let standIn: ArtifactRegistryStandIn;
let ar: ArtifactRegistryClient;
let su: ServiceUsageClient;

beforeAll(async () => {
  standIn = await startArtifactRegistryStandIn({
    port: 0,
    repositories: [
      { name: REPO, kmsKeyName: 'projects/k/locations/us-central1/keyRings/r/cryptoKeys/c' },
      { name: 'projects/demo-project/locations/us-central1/repositories/maven', format: 'MAVEN' },
      { name: 'projects/demo-project/locations/us-central1/repositories/mirror', mode: 'REMOTE_REPOSITORY' },
    ],
    dockerImages: [
      {
        name: `${REPO}/dockerImages/web%2Fapi@${DIGEST}`,
        uri: `us-central1-docker.pkg.dev/demo-project/apps/web/api@${DIGEST}`,
        tags: ['v1', 'latest'],
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        imageSizeBytes: 123_456_789_012,
        uploadTime: new Date('2026-01-02T03:04:05.678Z'),
      },
    ],
    services: [{ project: 'off-project', service: 'containerfilesystem.googleapis.com', state: 'DISABLED' }],
  });
  const options = { apiEndpoint: '127.0.0.1', port: standIn.port, sslCreds: credentials.createInsecure() };
  ar = new ArtifactRegistryClient(options);
  su = new ServiceUsageClient(options);
});

afterAll(async () => {
  await ar?.close();
  await su?.close();
  await standIn?.close();
});

describe('Artifact Registry stand-in, spoken to by the real ArtifactRegistryClient', () => {
  it('serves a repository with its format, mode and CMEK key', async () => {
    const [repository] = await ar.getRepository({ name: REPO });
    expect(repository.name).toBe(REPO);
    expect(repository.format).toBe('DOCKER');
    expect(repository.mode).toBe('STANDARD_REPOSITORY');
    expect(repository.kmsKeyName).toBe('projects/k/locations/us-central1/keyRings/r/cryptoKeys/c');
  });

  it('answers NOT_FOUND with the real message for an unknown repository, INVALID_ARGUMENT for a malformed name', async () => {
    await expect(ar.getRepository({ name: `${REPO}-missing` })).rejects.toMatchObject({
      code: 5,
      details: 'Requested entity was not found.',
    });
    await expect(ar.getRepository({ name: 'projects/demo-project/repositories/apps' })).rejects.toMatchObject(
      { code: 3 },
    );
  });

  it('lists repositories of a location page by page', async () => {
    const [first, , firstResponse] = await ar.listRepositories(
      { parent: 'projects/demo-project/locations/us-central1', pageSize: 2 },
      { autoPaginate: false },
    );
    expect(first).toHaveLength(2);
    expect(firstResponse?.nextPageToken).toBeTruthy();
    const all = await ar.listRepositories({ parent: 'projects/demo-project/locations/us-central1' });
    expect(all[0].map((r) => r.name).sort()).toEqual(
      [REPO, `${REPO.replace('apps', 'maven')}`, `${REPO.replace('apps', 'mirror')}`].sort(),
    );
    const [elsewhere] = await ar.listRepositories({ parent: 'projects/demo-project/locations/europe-west1' });
    expect(elsewhere).toEqual([]);
  });

  it('serves a docker image with tags, size, media type and upload time', async () => {
    const [image] = await ar.getDockerImage({ name: `${REPO}/dockerImages/web%2Fapi@${DIGEST}` });
    expect(image.uri).toBe(`us-central1-docker.pkg.dev/demo-project/apps/web/api@${DIGEST}`);
    expect(image.tags).toEqual(['v1', 'latest']);
    expect(String(image.imageSizeBytes)).toBe('123456789012');
    expect(image.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(Number(image.uploadTime?.seconds) * 1000 + Number(image.uploadTime?.nanos) / 1e6).toBe(
      Date.parse('2026-01-02T03:04:05.678Z'),
    );
    const [listed] = await ar.listDockerImages({ parent: REPO });
    expect(listed.map((i) => i.name)).toContain(`${REPO}/dockerImages/web%2Fapi@${DIGEST}`);
  });

  it('does not decode the image segment: an unencoded nested name is not a docker image name', async () => {
    await expect(ar.getDockerImage({ name: `${REPO}/dockerImages/web/api@${DIGEST}` })).rejects.toMatchObject(
      { code: 3 },
    );
    await expect(
      ar.getDockerImage({ name: `${REPO}/dockerImages/web%2Fapi@${OTHER_DIGEST}` }),
    ).rejects.toMatchObject({ code: 5 });
  });

  it('answers UNIMPLEMENTED for other methods and counts every call', async () => {
    const before = standIn.calls.ListPackages ?? 0;
    await expect(ar.listPackages({ parent: REPO }, { autoPaginate: false })).rejects.toMatchObject({
      code: 12,
    });
    expect(standIn.calls.ListPackages).toBe(before + 1);
    expect(standIn.calls.GetRepository).toBeGreaterThanOrEqual(1);
  });
});

describe('Service Usage stand-in, spoken to by the real ServiceUsageClient', () => {
  it('reports containerfilesystem ENABLED by default and DISABLED where configured', async () => {
    const [enabled] = await su.getService({
      name: 'projects/any-project/services/containerfilesystem.googleapis.com',
    });
    expect(enabled.state).toBe('ENABLED');
    expect(enabled.parent).toBe('projects/any-project');
    const [disabled] = await su.getService({
      name: 'projects/off-project/services/containerfilesystem.googleapis.com',
    });
    expect(disabled.state).toBe('DISABLED');
  });

  it('follows setServiceState and answers BatchGetServices', async () => {
    standIn.setServiceState('flip-project', 'containerfilesystem.googleapis.com', 'DISABLED');
    standIn.setServiceState('flip-project', 'batch.googleapis.com', 'ENABLED');
    const [response] = await su.batchGetServices({
      parent: 'projects/flip-project',
      names: [
        'projects/flip-project/services/containerfilesystem.googleapis.com',
        'projects/flip-project/services/batch.googleapis.com',
      ],
    });
    expect(response.services?.map((s) => s.state)).toEqual(['DISABLED', 'ENABLED']);
  });

  it('rejects a malformed service name', async () => {
    await expect(su.getService({ name: 'containerfilesystem.googleapis.com' })).rejects.toMatchObject({
      code: 3,
    });
  });
});

describe('mirroring pushes into the stand-in', () => {
  it('maps a nested Artifact Registry uri to its repository and %2F-encoded image name', () => {
    const { repository, image } = dockerImageFromPush({
      uri: `europe-docker.pkg.dev/p1/team/a/b/c@${DIGEST}`,
      tags: ['europe-docker.pkg.dev/p1/team/a/b/c:v2'],
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    });
    expect(repository).toBe('projects/p1/locations/europe/repositories/team');
    expect(image.name).toBe(
      `projects/p1/locations/europe/repositories/team/dockerImages/a%2Fb%2Fc@${DIGEST}`,
    );
    expect(image.tags).toEqual(['v2']);
  });

  it('maps gcr.io hosts to their AR repository and multi-region', () => {
    expect(dockerImageFromPush({ uri: `eu.gcr.io/p1/tool@${DIGEST}`, mediaType: 'x' }).repository).toBe(
      'projects/p1/locations/europe/repositories/eu.gcr.io',
    );
    expect(dockerImageFromPush({ uri: `gcr.io/p1/tool@${DIGEST}`, mediaType: 'x' }).repository).toBe(
      'projects/p1/locations/us/repositories/gcr.io',
    );
    expect(() => dockerImageFromPush({ uri: `docker.io/library/alpine@${DIGEST}`, mediaType: 'x' })).toThrow(
      /not an Artifact Registry host/,
    );
  });

  it('creates the repository on first push and merges tags on a repeated digest', async () => {
    const uri = `asia-east1-docker.pkg.dev/p2/fresh/svc@${DIGEST}`;
    const manifest = { config: { size: 100 }, layers: [{ size: 1000 }, { size: 2000 }] };
    mirrorPush(standIn, {
      uri,
      tags: ['v1'],
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      imageSizeBytes: imageSizeFromManifest(manifest),
    });
    const merged = mirrorPush(standIn, {
      uri,
      tags: ['v1', 'stable'],
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(merged.tags).toEqual(['v1', 'stable']);
    const [repository] = await ar.getRepository({
      name: 'projects/p2/locations/asia-east1/repositories/fresh',
    });
    expect(repository.mode).toBe('STANDARD_REPOSITORY');
    const [image] = await ar.getDockerImage({
      name: `projects/p2/locations/asia-east1/repositories/fresh/dockerImages/svc@${DIGEST}`,
    });
    expect(image.tags).toEqual(['v1', 'stable']);
    expect(String(image.imageSizeBytes)).toBe('3100');
  });
});
