/**
 * The world the bench measures in: the four local stand-ins (from the sources, through tsx: dist/
 * holds only the deployed functions), a config like
 * the tests', images pushed into the registry stand-in, and the real events each function gets.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

export const PROJECT = 'demo-project';
export const REGISTRY_HOST = 'us-central1-docker.pkg.dev';
const REGION = 'us-central1';
const TOPICS = {
  events: 'streamgate-events',
  notifications: 'batch-notifications',
  requests: 'streamgate-requests',
  gcr: 'gcr',
  floorNotifications: 'bench-floor-notifications',
};
const SECRET = 'bench-webhook-key-0123456789abcdef';

/** What each function is: how functions-framework must serve it. */
export const SIGNATURES = {
  onImagePush: 'cloudevent',
  onJobRequest: 'cloudevent',
  onJobStateChanged: 'cloudevent',
  webhook: 'http',
};

function benchConfig() {
  return {
    project: PROJECT,
    topics: {
      events: TOPICS.events,
      notifications: TOPICS.notifications,
      requests: TOPICS.requests,
      gcr: TOPICS.gcr,
    },
    jobServiceAccount: `jobs@${PROJECT}.iam.gserviceaccount.com`,
    rules: [
      {
        name: 'apps',
        image: `${REGISTRY_HOST}/${PROJECT}/apps/**`,
        streaming: 'auto',
        template: { container: { entrypoint: '/bin/sh', commands: ['-c', 'true'] } },
      },
    ],
    policy: {
      allowedRepositories: [`${REGISTRY_HOST}/${PROJECT}/**`],
      allowedRegions: ['us-central1'],
      maxTaskCount: 100,
    },
  };
}

/**
 * Starts the stand-ins and pushes `images` distinct images (one per cold-start round, so every
 * round does a real launch). Returns the env the functions run with and event builders.
 */
export async function startScenario({ root, images }) {
  register();
  const source = (path) => import(pathToFileURL(join(root, path)).href);
  const { startStandIns } = await source('infra/local/standins.ts');
  const { Pusher, buildImage, makeLayer } = await source('infra/local/oci-build.ts');
  const { signatureHeader } = await source('shared/core/webhook-signature.ts');

  const { createLogger } = await source('shared/adapters/logger.ts');
  const standIns = await startStandIns({
    // The stand-ins' own log lines would land in the report's stdout.
    logger: createLogger({ component: 'bench-standins' }, () => undefined),
    project: PROJECT,
    registryHost: REGISTRY_HOST,
    batch: { timings: { queuedMs: 10, scheduledMs: 10, runningMs: 10 } },
    topics: [TOPICS.events, TOPICS.notifications, TOPICS.requests, TOPICS.floorNotifications],
  });
  try {
    const pusher = new Pusher(standIns.registry.url);
    const pushed = [];
    /** Pushes one image to `apps/<name>` with `tag`. */
    const push = async (name, image, tag) => {
      await pusher.pushImage(`${PROJECT}/apps/${name}`, image, tag);
      await standIns.pushesSettled();
      const last = standIns.pubsub.published(standIns.gcrTopic).at(-1);
      if (!last) throw new Error('the registry push was not announced on the gcr topic');
      const configDigest = [...image.blobs.keys()][0];
      return { name, tag, digest: image.digest, configDigest, gcrMessage: last.data };
    };
    for (let i = 0; i < images; i++) {
      pushed.push(
        await push(`bench-${i}`, buildImage([await makeLayer({ 'bench.txt': `bench image ${i}` })]), 'v1'),
      );
    }

    const env = { ...process.env, ...standIns.env };
    delete env.NODE_ENV; // functions-framework prints its "Serving function..." line only outside production
    delete env.STREAMGATE_CONFIG;
    Object.assign(env, {
      STREAMGATE_CONFIG_JSON: JSON.stringify(benchConfig()),
      STREAMGATE_WEBHOOK_SECRETS: SECRET,
    });

    const pubsubPush = (topicId, data, messageId, attributes = {}) => ({
      path: `/projects/${PROJECT}/topics/${topicId}`,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        message: {
          data: Buffer.from(data).toString('base64'),
          attributes,
          messageId,
          publishTime: new Date().toISOString(),
        },
        subscription: `projects/${PROJECT}/subscriptions/bench-${topicId}`,
      }),
    });
    const signed = (path, headers) => ({
      path,
      headers: {
        'Content-Type': 'application/json',
        ...headers,
        'X-Streamgate-Signature': signatureHeader(SECRET, Math.floor(Date.now() / 1000), {
          method: 'POST',
          path,
          body: jobRequest,
        }),
      },
      body: jobRequest,
    });
    const jobRequest = JSON.stringify({
      apiVersion: 'streamgate/v1',
      image: `${REGISTRY_HOST}/${PROJECT}/apps/bench-0:v1`,
      container: { commands: ['run'] },
    });

    return {
      env,
      standIns,
      /** A real gcr push (AR notification JSON) for pushed image `i`. */
      imagePush: (i, messageId) => pubsubPush(TOPICS.gcr, pushed[i % pushed.length].gcrMessage, messageId),
      /**
       * Pushes `count` distinct images (one shared layer, a different config each, each with its own
       * tag: untagged INSERTs launch nothing) for a burst and returns a push event builder over them.
       */
      async pushBurstImages(count, onProgress = () => undefined) {
        const layer = await makeLayer({ 'burst.txt': 'burst' });
        const burst = [];
        for (let i = 0; i < count; i++) {
          burst.push(await push('burst', buildImage([layer], { label: `burst-${i}` }), `b${i}`));
          if ((i + 1) % 250 === 0) onProgress(i + 1);
        }
        return {
          images: burst,
          event: (i, messageId) => pubsubPush(TOPICS.gcr, burst[i].gcrMessage, messageId),
        };
      },
      /** The fair floor's fixed request for a launch of pushed image `i` (`viaTag`: HEAD the tag first). */
      launchCalls: (i, { viaTag = false, images: from = pushed, prefix = 'floor' } = {}) =>
        launchCalls(standIns.registry.url, from[i % from.length], viaTag, prefix),
      /**
       * The burst's jobs in Batch: streamgate's for `images`, or the floor's named `<prefix>-…`;
       * `duplicates` counts jobs beyond one per image.
       */
      burstJobs({ images: wanted, prefix }) {
        const digests = new Set((wanted ?? []).map((image) => image.digest));
        const imageOf = (job) => job.taskGroups?.[0]?.taskSpec?.runnables?.[0]?.container?.imageUri ?? '';
        const jobs = standIns.batch
          .jobs()
          .filter((job) =>
            prefix
              ? job.name.includes(`/jobs/${prefix}-`)
              : job.labels?.['streamgate-managed'] === 'true' && digests.has(imageOf(job).split('@')[1]),
          );
        return { jobs: jobs.length, duplicates: jobs.length - new Set(jobs.map(imageOf)).size };
      },
      /** The fair floor's fixed request for a Batch notification: GetJob + ListTasks + publish. */
      notificationCalls: () => ({
        kind: 'notification',
        jobName:
          standIns.batch.jobs().find((job) => job.labels?.['streamgate-managed'] === 'true')?.name ?? '',
        event: floorEvent('job.succeeded'),
      }),
      /** A JobRequest v1; each message id is a new idempotency key, so a new job. */
      jobRequest: (messageId) => pubsubPush(TOPICS.requests, jobRequest, messageId),
      /** A signed `POST /jobs:plan` (signatures stay valid for 300 s). */
      plan: () => signed('/jobs:plan', {}),
      /** A signed `POST /jobs` (a launch) with its own Idempotency-Key, so each makes a new job. */
      createJob: (key) => signed('/jobs', { 'Idempotency-Key': key }),
      /** A Batch notification that a job streamgate launched reached SUCCEEDED, as Batch sent it. */
      async jobStateChanged(messageId) {
        const note = await standIns.pubsub.waitFor(
          `projects/${PROJECT}/topics/${TOPICS.notifications}`,
          (m) => m.attributes.NewJobState === 'SUCCEEDED',
          15_000,
        );
        return pubsubPush(TOPICS.notifications, note.data, messageId, note.attributes);
      },
      close: () => standIns.close(),
    };
  } catch (error) {
    await standIns.close();
    throw error;
  }
}

/** A CloudEvent-sized message (binary mode: ce-* attributes, JSON data), as the functions publish. */
function floorEvent(type) {
  const id = randomUUID();
  return {
    data: JSON.stringify({
      jobName: `projects/${PROJECT}/locations/${REGION}/jobs/floor-${id}`,
      image: `${REGISTRY_HOST}/${PROJECT}/apps/bench@sha256:${'0'.repeat(64)}`,
      streaming: true,
      verdict: 'eligible',
      reasons: [],
      warnings: [],
      correlationId: id,
    }),
    attributes: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': `//streamgate/projects/${PROJECT}`,
      'ce-type': `dev.streamgate.${type}`,
      'ce-time': new Date().toISOString(),
      'content-type': 'application/json',
      correlationId: id,
    },
  };
}

/**
 * The floor's fixed request for one launch, built by hand: the same registry, Artifact Registry,
 * Service Usage, Batch and Pub/Sub calls as our launch, with a job shaped like ours (its own id, and
 * notifications to a topic no function reads).
 */
function launchCalls(registryUrl, image, viaTag, prefix) {
  const jobId = `${prefix}-${randomUUID()}`;
  const parent = `projects/${PROJECT}/locations/${REGION}`;
  const imageUri = `${REGISTRY_HOST}/${PROJECT}/apps/${image.name}@${image.digest}`;
  const base = `${registryUrl}/v2/${PROJECT}/apps/${image.name}`;
  return {
    kind: 'launch',
    ...(viaTag ? { headUrl: `${base}/manifests/${image.tag}` } : {}),
    manifestUrl: `${base}/manifests/${image.digest}`,
    configUrl: `${base}/blobs/${image.configDigest}`,
    service: `projects/${PROJECT}/services/containerfilesystem.googleapis.com`,
    repository: `${parent}/repositories/apps`,
    dockerImage: `${parent}/repositories/apps/dockerImages/${image.name}@${image.digest}`,
    jobName: `${parent}/jobs/${jobId}`,
    create: {
      parent,
      jobId,
      requestId: randomUUID(),
      job: {
        taskGroups: [
          {
            taskCount: 1,
            parallelism: 1,
            taskSpec: {
              runnables: [
                {
                  container: {
                    imageUri,
                    entrypoint: '/bin/sh',
                    commands: ['-c', 'true'],
                    volumes: [],
                    enableImageStreaming: true,
                  },
                },
              ],
              computeResource: { cpuMilli: 2000, memoryMib: 2048 },
              maxRunDuration: { seconds: 3600 },
              maxRetryCount: 0,
              environment: { variables: {} },
            },
          },
        ],
        allocationPolicy: {
          location: { allowedLocations: [`regions/${REGION}`] },
          instances: [{ policy: { provisioningModel: 'STANDARD' } }],
          serviceAccount: { email: `jobs@${PROJECT}.iam.gserviceaccount.com` },
        },
        logsPolicy: { destination: 'CLOUD_LOGGING' },
        labels: {
          'streamgate-correlation': jobId,
          'streamgate-key': 'f'.repeat(32),
          'streamgate-mode': 'auto',
          'streamgate-reasons': 'none',
          'streamgate-request': 'e'.repeat(32),
          'streamgate-source': 'push',
          'streamgate-streaming': 'on',
          'streamgate-verdict': 'eligible',
          'streamgate-warnings': 'none',
        },
        notifications: [
          {
            pubsubTopic: `projects/${PROJECT}/topics/${TOPICS.floorNotifications}`,
            message: { type: 'JOB_STATE_CHANGED' },
          },
        ],
      },
    },
    event: floorEvent('job.launched'),
  };
}
