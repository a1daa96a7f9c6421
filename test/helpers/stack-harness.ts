/**
 * The four functions running through functions-framework's own test servers, with the real
 * Google clients pointed at the composed stand-ins. One stack per test file (each file runs in its
 * own worker, so `process.env` belongs to it).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromPubsubMessage, type StreamgateEvent } from '../../shared/core/cloudevent.js';
import type { StreamgateConfigInput } from '../../shared/core/config.js';
import type { EventType } from '../../shared/core/events.js';
import { PUBSUB_CLOUDEVENT_TYPE } from '../../shared/core/envelopes/pubsub.js';
import { signatureHeader } from '../../shared/core/webhook-signature.js';
import type { FunctionName } from '../../functions/function-names.js';
import { startStandIns, type StandIns, type StandInsOptions } from '../../infra/local/standins.js';

export const PROJECT = 'demo-project';
export const REGISTRY_HOST = 'us-central1-docker.pkg.dev';
export const TOPICS = {
  events: 'streamgate-events',
  notifications: 'batch-notifications',
  requests: 'streamgate-requests',
  gcr: 'gcr',
} as const;
export const EVENTS_TOPIC = `projects/${PROJECT}/topics/${TOPICS.events}`;
export const SECRET = 'current-webhook-key-0123456789abcdef';
export const OLD_SECRET = 'previous-webhook-key-0123456789abcdef';

export type { FunctionName };
const FUNCTIONS: readonly FunctionName[] = ['onImagePush', 'onJobRequest', 'onJobStateChanged', 'webhook'];

/**
 * The test config: rule `apps` (auto), `strict` (require) and `nightly` (auto, also untagged pushes),
 * policy limited to demo-project.
 */
export function testConfig(): StreamgateConfigInput {
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
      { name: 'strict', image: `${REGISTRY_HOST}/${PROJECT}/strict/**`, streaming: 'require' },
      { name: 'nightly', image: `${REGISTRY_HOST}/${PROJECT}/nightly/**`, untagged: true },
    ],
    policy: {
      allowedRepositories: [`${REGISTRY_HOST}/${PROJECT}/**`],
      allowedRegions: ['us-central1', 'us-east1'],
      maxTaskCount: 100,
    },
  };
}

/** How a Pub/Sub message reaches a CloudEvent function. */
export type Delivery = 'structured' | 'binary' | 'push';

interface PubsubDelivery {
  data: Buffer | string;
  attributes?: Record<string, string>;
  messageId: string;
  topic?: string;
}

export interface Stack {
  standIns: StandIns;
  /** Base URL of each function's functions-framework test server. */
  urls: Record<FunctionName, string>;
  /** Every event published so far to the events topic (of one type), decoded and validated. */
  events<T extends EventType>(type: T): StreamgateEvent<T>[];
  /** Delivers a Pub/Sub message to a CloudEvent function in one of the ways Google does. */
  deliver(fn: FunctionName, message: PubsubDelivery, how?: Delivery): Promise<Response>;
  /** POSTs any body with any headers to a function (for garbage). */
  post(
    fn: FunctionName,
    path: string,
    body: string | Buffer,
    headers: Record<string, string>,
  ): Promise<Response>;
  /** A signed webhook POST. `secret: null` sends no signature. */
  webhook(path: string, body: unknown, options?: WebhookOptions): Promise<Response>;
  close(): Promise<void>;
}

interface WebhookOptions {
  secret?: string | null;
  /** Signature timestamp in unix seconds (default now). */
  timestamp?: number;
  headers?: Record<string, string>;
  method?: string;
}

/**
 * Starts the stand-ins, points `process.env` at them, then loads `functions/index.ts` and opens a
 * test server per function on 127.0.0.1.
 */
export async function startStack(
  options: { batch?: StandInsOptions['batch']; config?: StreamgateConfigInput } = {},
): Promise<Stack> {
  const standIns = await startStandIns({
    batch: options.batch ?? { timings: { queuedMs: 10, scheduledMs: 10, runningMs: 10 } },
    topics: [TOPICS.events, TOPICS.notifications, TOPICS.requests],
  });
  Object.assign(process.env, standIns.env, {
    STREAMGATE_CONFIG_JSON: JSON.stringify(options.config ?? testConfig()),
    STREAMGATE_WEBHOOK_SECRETS: `${SECRET},${OLD_SECRET}`,
    STREAMGATE_LOG_LEVEL: process.env.STREAMGATE_LOG_LEVEL ?? 'ERROR',
  });
  const runtime = await import('../../functions/runtime.js');
  // index.ts schedules a warm-up; whatever it built before the env was set is dropped here.
  await runtime.resetRuntimeForTests();
  await import('../../functions/index.js');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');

  const servers: Server[] = [];
  const urls = {} as Record<FunctionName, string>;
  const { installWebhookFront } = await import('../../functions/framework-hook.js');
  for (const name of FUNCTIONS) {
    // Deployed, index.ts arms the webhook's body front itself (FUNCTION_TARGET=webhook); here one
    // process serves all four, so it is armed right before the webhook's server is built.
    if (name === 'webhook') installWebhookFront();
    const server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const post: Stack['post'] = (fn, path, body, headers) =>
    fetch(`${urls[fn]}${path}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : new Uint8Array(body),
      signal: AbortSignal.timeout(20_000),
    });

  return {
    standIns,
    urls,
    events<T extends EventType>(type: T) {
      return standIns.pubsub
        .published(EVENTS_TOPIC)
        .map((m) => fromPubsubMessage({ data: m.data, attributes: m.attributes }))
        .filter((e): e is StreamgateEvent<T> => e.type === type);
    },
    deliver(fn, message, how = 'structured') {
      const topic = message.topic ?? `projects/${PROJECT}/topics/${topicFor(fn)}`;
      const data = Buffer.isBuffer(message.data) ? message.data : Buffer.from(message.data, 'utf8');
      const pubsubMessage = {
        data: data.toString('base64'),
        attributes: message.attributes ?? {},
        messageId: message.messageId,
        publishTime: new Date().toISOString(),
      };
      const subscription = `projects/${PROJECT}/subscriptions/${fn}`;
      if (how === 'push') {
        return post(fn, `/${topic}`, JSON.stringify({ message: pubsubMessage, subscription }), {
          'Content-Type': 'application/json',
        });
      }
      const head = {
        id: message.messageId,
        specversion: '1.0',
        source: `//pubsub.googleapis.com/${topic}`,
        type: PUBSUB_CLOUDEVENT_TYPE,
      };
      const body = { message: pubsubMessage, subscription };
      if (how === 'binary') {
        return post(fn, '/', JSON.stringify(body), {
          'Content-Type': 'application/json',
          'ce-id': head.id,
          'ce-specversion': head.specversion,
          'ce-source': head.source,
          'ce-type': head.type,
        });
      }
      return post(fn, '/', JSON.stringify({ ...head, datacontenttype: 'application/json', data: body }), {
        'Content-Type': 'application/cloudevents+json',
      });
    },
    post,
    webhook(path, body, opts = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = { 'Content-Type': 'application/json', ...opts.headers };
      const secret = opts.secret === undefined ? SECRET : opts.secret;
      const method = opts.method ?? 'POST';
      if (secret !== null) {
        // v2 covers the route as the webhook serves it: no query string, no trailing slash.
        const route = path.replace(/\?.*$/, '').replace(/(.)\/+$/, '$1');
        headers['X-Streamgate-Signature'] = signatureHeader(
          secret,
          opts.timestamp ?? Math.floor(Date.now() / 1000),
          { method, path: route, body: raw },
        );
      }
      return fetch(`${urls.webhook}${path}`, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: raw }),
        signal: AbortSignal.timeout(20_000),
      });
    },
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await runtime.resetRuntimeForTests();
      await standIns.close();
    },
  };
}

function topicFor(fn: FunctionName): string {
  if (fn === 'onImagePush') return TOPICS.gcr;
  if (fn === 'onJobRequest') return TOPICS.requests;
  return TOPICS.notifications;
}

/** The JSON of the last message the registry's push put on the `gcr` topic. */
export function lastGcrMessage(standIns: StandIns): { data: Buffer; messageId: string } {
  const messages = standIns.pubsub.published(standIns.gcrTopic);
  const last = messages.at(-1);
  if (!last) throw new Error('no message on the gcr topic');
  return { data: last.data, messageId: last.messageId };
}
