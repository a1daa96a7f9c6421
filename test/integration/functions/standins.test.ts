import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { startStandIns, type StandIns } from '../../../infra/local/standins.js';
import { Pusher, buildImage, makeLayer } from '../../helpers/oci-images.js';

describe('startStandIns', () => {
  let standIns: StandIns;
  beforeAll(async () => {
    standIns = await startStandIns({
      batch: { timings: { queuedMs: 5, scheduledMs: 5, runningMs: 5 } },
      topics: ['notes'],
    });
  });
  afterAll(async () => {
    await standIns?.close();
  });

  it('exposes exactly the env the functions need', () => {
    expect(Object.keys(standIns.env).sort()).toEqual(
      [
        'ARTIFACT_REGISTRY_API_ENDPOINT',
        'BATCH_API_ENDPOINT',
        'GOOGLE_CLOUD_PROJECT',
        'METADATA_SERVER_DETECTION',
        'PUBSUB_EMULATOR_HOST',
        'SERVICE_USAGE_API_ENDPOINT',
        'STREAMGATE_REGISTRY_OVERRIDES',
      ].sort(),
    );
    expect(standIns.env.STREAMGATE_REGISTRY_OVERRIDES).toBe(
      `us-central1-docker.pkg.dev=${standIns.registry.url}`,
    );
    expect(standIns.env.BATCH_API_ENDPOINT).toBe(standIns.batch.address);
    expect(standIns.env.PUBSUB_EMULATOR_HOST).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('announces a tagged push on the gcr topic and mirrors it into the Artifact Registry API', async () => {
    const image = buildImage([await makeLayer({ 'a.txt': 'standins' })]);
    const digest = await new Pusher(standIns.registry.url).pushImage('demo-project/apps/tool', image, 'v7');
    await standIns.pushesSettled();
    const messages = standIns.pubsub.published(standIns.gcrTopic);
    const last = messages.at(-1);
    expect(last).toBeDefined();
    expect(JSON.parse(last!.data.toString('utf8'))).toEqual({
      action: 'INSERT',
      digest: `us-central1-docker.pkg.dev/demo-project/apps/tool@${digest}`,
      tag: 'us-central1-docker.pkg.dev/demo-project/apps/tool:v7',
    });

    const [host, port] = standIns.artifactRegistry.address.split(':') as [string, string];
    const client = new ArtifactRegistryClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
    });
    try {
      const [found] = await client.getDockerImage({
        name: `projects/demo-project/locations/us-central1/repositories/apps/dockerImages/tool@${digest}`,
      });
      expect(found.mediaType).toBe(image.mediaType);
      expect(found.tags).toEqual(['v7']);
      expect(Number(found.imageSizeBytes)).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('routes Batch notifications to the Pub/Sub stand-in', async () => {
    const topic = 'projects/demo-project/topics/notes';
    await standIns.createTopics([topic]); // already exists: must be fine
    const { BatchServiceClient } = await import('@google-cloud/batch');
    const client = new BatchServiceClient({
      apiEndpoint: '127.0.0.1',
      port: standIns.batch.port,
      sslCreds: grpc.credentials.createInsecure(),
    });
    try {
      await client.createJob({
        parent: 'projects/demo-project/locations/us-central1',
        jobId: 'standins-notify',
        job: {
          taskGroups: [{ taskSpec: { runnables: [{ container: { imageUri: 'busybox' } }] } }],
          allocationPolicy: { location: { allowedLocations: ['regions/us-central1'] } },
          notifications: [{ pubsubTopic: topic, message: { type: 'JOB_STATE_CHANGED' } }],
        },
      });
      const done = await standIns.pubsub.waitFor(
        topic,
        (m) => m.attributes.NewJobState === 'SUCCEEDED',
        5_000,
      );
      expect(done.attributes.JobName).toContain('standins-notify');
    } finally {
      await client.close();
    }
  });
});
