/**
 * The world the bench measures in: the four local stand-ins (from the sources, through tsx: dist/
 * holds only the deployed functions), a config like
 * the tests', images pushed into the registry stand-in, and the real events each function gets.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

export const PROJECT = 'demo-project';
export const REGISTRY_HOST = 'us-central1-docker.pkg.dev';
const TOPICS = {
  events: 'streamgate-events',
  notifications: 'batch-notifications',
  requests: 'streamgate-requests',
  gcr: 'gcr',
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
    topics: { ...TOPICS },
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
    topics: [TOPICS.events, TOPICS.notifications, TOPICS.requests],
  });
  try {
    const pusher = new Pusher(standIns.registry.url);
    const gcrMessages = [];
    for (let i = 0; i < images; i++) {
      const image = buildImage([await makeLayer({ 'bench.txt': `bench image ${i}` })]);
      await pusher.pushImage(`${PROJECT}/apps/bench-${i}`, image, 'v1');
      await standIns.pushesSettled();
      const last = standIns.pubsub.published(standIns.gcrTopic).at(-1);
      if (!last) throw new Error('the registry push was not announced on the gcr topic');
      gcrMessages.push(last.data);
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
    const jobRequest = JSON.stringify({
      apiVersion: 'streamgate/v1',
      image: `${REGISTRY_HOST}/${PROJECT}/apps/bench-0:v1`,
      container: { commands: ['run'] },
    });

    return {
      env,
      standIns,
      /** A real gcr push (AR notification JSON) for pushed image `i`. */
      imagePush: (i, messageId) => pubsubPush(TOPICS.gcr, gcrMessages[i % gcrMessages.length], messageId),
      /** A JobRequest v1; each message id is a new idempotency key, so a new job. */
      jobRequest: (messageId) => pubsubPush(TOPICS.requests, jobRequest, messageId),
      /** A signed `POST /jobs:plan` (signatures stay valid for 300 s). */
      plan: () => ({
        path: '/jobs:plan',
        headers: {
          'Content-Type': 'application/json',
          'X-Streamgate-Signature': signatureHeader(SECRET, Math.floor(Date.now() / 1000), {
            method: 'POST',
            path: '/jobs:plan',
            body: jobRequest,
          }),
        },
        body: jobRequest,
      }),
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
