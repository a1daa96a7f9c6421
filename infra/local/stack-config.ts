/**
 * The local stack's sample streamgate config and its endpoints file
 * (`.streamgate/local-stack.json`), which the demo and scripts read to find a running stack.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { parseConfig, type StreamgateConfigInput } from '../../shared/core/config.js';

export const LOCAL_PROJECT = 'demo-project';
export const LOCAL_REGISTRY_HOST = 'us-central1-docker.pkg.dev';

/** Topic ids of the local stack (the same roles Terraform creates in the cloud). */
export const LOCAL_TOPICS = {
  events: 'streamgate-events',
  notifications: 'batch-notifications',
  requests: 'streamgate-requests',
  gcr: 'gcr',
} as const;

/** Pull subscription on the events topic that the demo tails. */
export const EVENTS_TAIL_SUBSCRIPTION = 'streamgate-events-tail';

/** Files of a stack under its state directory (default `<repo>/.streamgate`). */
export function stackPaths(stateDir: string) {
  return {
    stateDir,
    config: join(stateDir, 'streamgate.config.json'),
    endpoints: join(stateDir, 'local-stack.json'),
    logs: join(stateDir, 'logs'),
  };
}

/**
 * The sample config `npm start` runs with: one rule (`apps`) that launches a job for every image
 * pushed under `us-central1-docker.pkg.dev/demo-project/apps/`, streaming when the image allows,
 * and one (`repairs`) in mode `repair` for `…/demo-project/repairs/`, where repairs may be written.
 */
function sampleConfig(): StreamgateConfigInput {
  return {
    project: LOCAL_PROJECT,
    topics: { ...LOCAL_TOPICS },
    jobServiceAccount: `jobs@${LOCAL_PROJECT}.iam.gserviceaccount.com`,
    rules: [
      {
        name: 'apps',
        description: 'Run every image pushed to the apps repository once.',
        image: `${LOCAL_REGISTRY_HOST}/${LOCAL_PROJECT}/apps/**`,
        streaming: 'auto',
        template: {
          container: { entrypoint: '/bin/sh', commands: ['-c', 'echo hello from streamgate'] },
          labels: { stack: 'local' },
        },
      },
      {
        name: 'repairs',
        description: 'Run every image pushed to the repairs repository, repairing empty or duplicate layers.',
        image: `${LOCAL_REGISTRY_HOST}/${LOCAL_PROJECT}/repairs/**`,
        streaming: 'repair',
        template: {
          container: { entrypoint: '/bin/sh', commands: ['-c', 'echo hello from a repaired image'] },
          labels: { stack: 'local' },
        },
      },
    ],
    repairRepositories: [`${LOCAL_REGISTRY_HOST}/${LOCAL_PROJECT}/repairs`],
    policy: {
      allowedRepositories: [
        `${LOCAL_REGISTRY_HOST}/${LOCAL_PROJECT}/apps/**`,
        `${LOCAL_REGISTRY_HOST}/${LOCAL_PROJECT}/repairs/**`,
      ],
      allowedRegions: ['us-central1'],
      allowNonStreamingFallback: true,
    },
  };
}

/** Writes the sample config (validated first, so a broken sample fails here, not in four children). */
export async function writeSampleConfig(path: string): Promise<void> {
  const config = sampleConfig();
  parseConfig(config, 'local stack sample config');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(config, null, 2) + '\n');
}

/** A fresh webhook HMAC key for one stack run. */
export function randomWebhookSecret(): string {
  return randomBytes(24).toString('base64url');
}

const HostPort = z.string().regex(/^127\.0\.0\.1:\d{1,5}$/);
const Url = z.url({ protocol: /^http$/ });

/** `.streamgate/local-stack.json`: where every part of a running stack listens. */
export const StackEndpointsSchema = z.strictObject({
  functions: z.strictObject({
    onImagePush: Url,
    onJobRequest: Url,
    webhook: Url,
    onJobStateChanged: Url,
  }),
  batch: HostPort,
  pubsub: HostPort,
  artifactRegistry: HostPort,
  registry: Url,
  registryHost: z.string().min(1),
  project: z.string().min(1),
  topics: z.strictObject({
    events: z.string().min(1),
    notifications: z.string().min(1),
    requests: z.string().min(1),
    gcr: z.string().min(1),
  }),
  webhookSecret: z.string().min(1),
  /** The read-only page (infra/local/dashboard); absent in files of stacks from before it. */
  dashboard: Url.optional(),
});
export type StackEndpoints = z.infer<typeof StackEndpointsSchema>;

/** What a process needs to know of a stack to use it: where the stand-ins listen. */
export type LocalStackParts = Pick<
  StackEndpoints,
  'project' | 'registryHost' | 'registry' | 'artifactRegistry' | 'batch' | 'pubsub'
>;

/** Where running stand-ins listen, as a process reports them: `batch` and `pubsub` as host:port. */
export interface ListeningStandIns {
  batch: { address: string };
  pubsub: { address: string };
  artifactRegistry: { address: string };
  registry: { url: string };
  registryHost: string;
  project: string;
}

/**
 * The endpoints file's content for stand-ins and the functions serving them.
 *
 * @example
 *   await writeEndpointsFile(path, stackEndpoints(standIns, functionUrls, secret, page.url));
 */
export function stackEndpoints(
  standIns: ListeningStandIns,
  functions: StackEndpoints['functions'],
  webhookSecret: string,
  dashboard: string,
): StackEndpoints {
  return {
    functions,
    batch: standIns.batch.address,
    pubsub: standIns.pubsub.address,
    artifactRegistry: standIns.artifactRegistry.address,
    registry: standIns.registry.url,
    registryHost: standIns.registryHost,
    project: standIns.project,
    topics: { ...LOCAL_TOPICS },
    webhookSecret,
    dashboard,
  };
}

/**
 * The environment that points the Google clients and the registry client at a local stack: the
 * functions get it from the stand-ins, `streamgate check --stack` from the endpoints file.
 *
 * @example
 *   localStackEnv(await readEndpointsFile('.streamgate/local-stack.json'))
 *   // { STREAMGATE_REGISTRY_OVERRIDES: 'us-central1-docker.pkg.dev=http://127.0.0.1:5001', … }
 */
export function localStackEnv(stack: LocalStackParts): Record<string, string> {
  return {
    BATCH_API_ENDPOINT: stack.batch,
    PUBSUB_EMULATOR_HOST: stack.pubsub,
    // One stand-in serves both APIs.
    ARTIFACT_REGISTRY_API_ENDPOINT: stack.artifactRegistry,
    SERVICE_USAGE_API_ENDPOINT: stack.artifactRegistry,
    STREAMGATE_REGISTRY_OVERRIDES: `${stack.registryHost}=${stack.registry}`,
    // Only local stand-ins are spoken to: never probe the GCE metadata server.
    METADATA_SERVER_DETECTION: 'none',
    GOOGLE_CLOUD_PROJECT: stack.project,
  };
}

export async function writeEndpointsFile(path: string, endpoints: StackEndpoints): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // 0600: the file holds the webhook secret. Written aside and renamed into place, so a reader
  // that sees the file never reads it half written.
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify(endpoints, null, 2) + '\n', { mode: 0o600 });
  await rename(partial, path);
}

/** The endpoints of a running stack, or undefined when the file is missing. Throws when it is malformed. */
export async function readEndpointsFile(path: string): Promise<StackEndpoints | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return StackEndpointsSchema.parse(JSON.parse(text));
}

export async function removeEndpointsFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
