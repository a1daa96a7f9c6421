/**
 * The four local stand-ins (OCI registry, Batch, Pub/Sub, Artifact Registry + Service Usage),
 * started together and wired the way Google wires the real services:
 *
 * - a manifest push or delete in the registry is mirrored into the Artifact Registry API stand-in
 *   and announced on `projects/<project>/topics/gcr` with Artifact Registry's notification JSON;
 * - Batch job state changes are published to the topic the job names, in-process.
 *
 * `npm start`, the CLI demo and the integration tests build on this.
 */
import * as grpc from '@grpc/grpc-js';
import { createLogger, type Logger } from '../../shared/adapters/logger.js';
import { startArtifactRegistryStandIn, type ArtifactRegistryStandIn } from './artifact-registry/server.js';
import {
  imageSizeFromManifest,
  mirrorDelete,
  mirrorPush,
  type DeleteNotification,
} from './artifact-registry/pushed-image.js';
import { startBatchStandIn, type BatchStandIn, type BatchStandInOptions } from './batch/server.js';
import { loadPubSubServices } from './pubsub/protos.js';
import { startPubSubStandIn, type PubSubStandIn } from './pubsub/server.js';
import { localStackEnv } from './stack-config.js';
import {
  startRegistryStandIn,
  type DeleteNotice,
  type PushNotice,
  type RegistryStandIn,
} from './registry/server.js';

export type StandInName = 'registry' | 'batch' | 'pubsub' | 'artifactRegistry';

export interface StandInsOptions {
  /** Google Cloud project of the local stack. Default 'demo-project'. */
  project?: string;
  /** Registry host the registry stand-in impersonates. Default 'us-central1-docker.pkg.dev'. */
  registryHost?: string;
  /** Fixed ports on 127.0.0.1; 0 or absent picks a free one. */
  ports?: Partial<Record<StandInName, number>>;
  /** Batch lifecycle timings, faults and notification tuning. */
  batch?: Pick<
    BatchStandInOptions,
    'timings' | 'faults' | 'jobTypeAttribute' | 'notifyAttempts' | 'notifyBackoffMs' | 'projectNumber'
  >;
  /** Require registry token auth with this access token (off by default). */
  registryAuth?: { accessToken: string };
  /** Extra topics to create (ids or full names) besides `gcr`. */
  topics?: readonly string[];
  logger?: Logger;
}

export interface StandIns {
  registry: RegistryStandIn;
  batch: BatchStandIn;
  pubsub: PubSubStandIn;
  artifactRegistry: ArtifactRegistryStandIn;
  project: string;
  registryHost: string;
  /** Full name of the topic push notifications go to: `projects/<project>/topics/gcr`. */
  gcrTopic: string;
  /** Exactly the environment the functions need to use these stand-ins. */
  env: Record<string, string>;
  /** Resolves once every push and delete seen so far is mirrored and announced on the `gcr` topic. */
  pushesSettled(): Promise<void>;
  /** Creates topics (ids in `project`, or full names); existing ones are fine. */
  createTopics(names: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts all four stand-ins on 127.0.0.1 and wires them together.
 *
 * @example
 *   const standIns = await startStandIns({ batch: { timings: { queuedMs: 10, scheduledMs: 10, runningMs: 10 } } });
 *   Object.assign(process.env, standIns.env);
 *   // … push images to standIns.registry.url, run the functions …
 *   await standIns.close();
 */
export async function startStandIns(options: StandInsOptions = {}): Promise<StandIns> {
  const project = options.project ?? 'demo-project';
  const registryHost = options.registryHost ?? 'us-central1-docker.pkg.dev';
  const logger = options.logger ?? createLogger({ component: 'standins' });
  const ports = options.ports ?? {};
  const gcrTopic = `projects/${project}/topics/gcr`;
  const started: Array<{ close(): Promise<void> }> = [];

  try {
    const pubsub = await startPubSubStandIn({ port: ports.pubsub ?? 0 });
    started.push(pubsub);
    const artifactRegistry = await startArtifactRegistryStandIn({ port: ports.artifactRegistry ?? 0 });
    started.push(artifactRegistry);
    const topics = (names: readonly string[]) => createTopics(pubsub.address, project, names);
    await topics(['gcr', ...(options.topics ?? [])]);

    const batch = await startBatchStandIn({
      ...options.batch,
      port: ports.batch ?? 0,
      logger,
      // Batch publishes to whatever topic the job names; like the real service, a missing topic
      // is the job owner's problem, so it is created here rather than failing the notification.
      notify: async (topic, message) => {
        const publish = () => pubsub.publish(topic, { data: message.data, attributes: message.attributes });
        try {
          publish();
        } catch {
          await createTopics(pubsub.address, project, [topic]);
          publish();
        }
      },
    });
    started.push(batch);

    // The registry needs its own URL to read pushed manifests back, so onPush resolves it lazily.
    let registryUrl = '';
    const pending = new Set<Promise<void>>();
    const onPush = (notice: PushNotice): void => {
      const work = announcePush({
        notice,
        registryUrl: () => registryUrl,
        ...(options.registryAuth ? { auth: options.registryAuth } : {}),
        artifactRegistry,
        publish: (json) => {
          pubsub.publish(gcrTopic, { data: JSON.stringify(json) });
        },
      }).catch((error: unknown) => {
        logger.error('standins: push notice could not be delivered', { notice, error });
      });
      pending.add(work);
      void work.finally(() => pending.delete(work));
    };
    // A delete waits for earlier pushes' announcements, so `gcr` sees INSERT before its DELETE.
    const onDelete = (notice: DeleteNotice): void => {
      const earlier = [...pending];
      const work = Promise.allSettled(earlier).then(() => {
        const json = mirrorDelete(artifactRegistry, {
          deleted: notice.deleted,
          uri: notice.digest,
          tags: notice.tags,
        });
        pubsub.publish(gcrTopic, { data: JSON.stringify(json) });
      });
      pending.add(work);
      void work
        .catch((error: unknown) =>
          logger.error('standins: delete notice could not be delivered', { notice, error }),
        )
        .finally(() => pending.delete(work));
    };
    const registry = await startRegistryStandIn({
      port: ports.registry ?? 0,
      registryHost,
      onPush,
      onDelete,
      ...(options.registryAuth ? { auth: options.registryAuth } : {}),
    });
    registryUrl = registry.url;
    started.push(registry);

    const env = localStackEnv({
      project,
      registryHost,
      registry: registry.url,
      artifactRegistry: artifactRegistry.address,
      batch: batch.address,
      pubsub: pubsub.address,
    });

    let closing: Promise<void> | undefined;
    return {
      registry,
      batch,
      pubsub,
      artifactRegistry,
      project,
      registryHost,
      gcrTopic,
      env,
      async pushesSettled() {
        // Bounded: each push does at most two local HTTP requests and an in-process publish.
        for (let round = 0; round < 100 && pending.size > 0; round++) await Promise.allSettled([...pending]);
      },
      createTopics: topics,
      close() {
        closing ??= closeAll([...started].reverse());
        return closing;
      },
    };
  } catch (error) {
    await closeAll([...started].reverse());
    throw error;
  }
}

/**
 * Creates Pub/Sub topics on a stand-in or emulator at `address` over the real gRPC API.
 * Names are topic ids in `project` or full `projects/P/topics/T` names; ALREADY_EXISTS is fine.
 *
 * @example
 *   await createTopics('127.0.0.1:8085', 'demo-project', ['gcr', 'streamgate-events']);
 */
async function createTopics(address: string, project: string, names: readonly string[]): Promise<void> {
  const Publisher = grpc.makeGenericClientConstructor(loadPubSubServices().publisher, 'Publisher');
  const client = new Publisher(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    CreateTopic: (
      request: { name: string },
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null) => void,
    ) => void;
  };
  try {
    for (const name of names) {
      const full = name.startsWith('projects/') ? name : `projects/${project}/topics/${name}`;
      await new Promise<void>((resolve, reject) => {
        client.CreateTopic({ name: full }, { deadline: Date.now() + 5_000 }, (error) =>
          !error || error.code === grpc.status.ALREADY_EXISTS ? resolve() : reject(error),
        );
      });
    }
  } finally {
    client.close();
  }
}

/** The Artifact Registry notification JSON (the `gcr` topic's message data). */
type ArtifactRegistryNotification = { action: 'INSERT'; digest: string; tag?: string } | DeleteNotification;

interface AnnounceInput {
  notice: PushNotice;
  registryUrl: () => string;
  auth?: { accessToken: string };
  artifactRegistry: ArtifactRegistryStandIn;
  publish: (json: ArtifactRegistryNotification) => void;
}

/** Mirrors one push into the AR stand-in (with the manifest's media type and size), then announces it. */
async function announcePush(input: AnnounceInput): Promise<void> {
  const { notice } = input;
  const at = notice.digest.lastIndexOf('@');
  const slash = notice.digest.indexOf('/');
  const name = notice.digest.slice(slash + 1, at);
  const digest = notice.digest.slice(at + 1);
  const manifest = await readManifest(input.registryUrl(), name, digest, input.auth);
  try {
    mirrorPush(input.artifactRegistry, {
      uri: notice.digest,
      ...(notice.tag ? { tags: [notice.tag] } : {}),
      mediaType: manifest.mediaType,
      imageSizeBytes: imageSizeFromManifest(manifest.document),
    });
  } catch {
    // Hosts that are not Artifact Registry (or odd paths) have no AR API entry; the push is
    // still announced, as the streamgate pipeline must cope with it.
  }
  const json: ArtifactRegistryNotification = { action: 'INSERT', digest: notice.digest };
  if (notice.tag) json.tag = notice.tag;
  input.publish(json);
}

async function readManifest(
  baseUrl: string,
  name: string,
  digest: string,
  auth?: { accessToken: string },
): Promise<{ mediaType: string; document: unknown }> {
  const headers: Record<string, string> = {
    Accept: [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
      'application/vnd.docker.distribution.manifest.v1+json',
    ].join(', '),
  };
  if (auth) {
    const basic = Buffer.from(`oauth2accesstoken:${auth.accessToken}`).toString('base64');
    const scope = encodeURIComponent(`repository:${name}:pull`);
    const answer = await fetch(`${baseUrl}/v2/token?scope=${scope}`, {
      headers: { Authorization: `Basic ${basic}` },
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await answer.json()) as { token?: string };
    if (body.token) headers.Authorization = `Bearer ${body.token}`;
  }
  const response = await fetch(`${baseUrl}/v2/${name}/manifests/${digest}`, {
    headers,
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`reading ${name}@${digest} back: HTTP ${response.status}`);
  const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim() ?? 'application/octet-stream';
  const text = await response.text();
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    document = undefined;
  }
  return { mediaType, document };
}

async function closeAll(servers: ReadonlyArray<{ close(): Promise<void> }>): Promise<void> {
  for (const server of servers) {
    try {
      await server.close();
    } catch {
      // Closing is best effort: one stuck server must not keep the others open.
    }
  }
}
