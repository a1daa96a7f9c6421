/**
 * Pub/Sub wiring of the local stack, made like infra/terraform does it in the cloud, through the
 * real `@google-cloud/pubsub` client: the topics, one push subscription per CloudEvent function
 * (dead-letter topic, 5 attempts, short backoff), and a pull subscription on the events topic.
 */
import { PubSub } from '@google-cloud/pubsub';
import { EVENTS_TAIL_SUBSCRIPTION, LOCAL_TOPICS } from './stack-config.js';
import type { FunctionName } from './ports.js';

/** The CloudEvent functions and the topic each one is pushed from (Terraform's `event_functions`). */
const PUSH_ROUTES = [
  { key: 'image-push', target: 'onImagePush', topic: LOCAL_TOPICS.gcr },
  { key: 'job-request', target: 'onJobRequest', topic: LOCAL_TOPICS.requests },
  { key: 'job-state', target: 'onJobStateChanged', topic: LOCAL_TOPICS.notifications },
] as const satisfies ReadonlyArray<{ key: string; target: FunctionName; topic: string }>;

const PREFIX = 'streamgate';
const MAX_DELIVERY_ATTEMPTS = 5;

const deadLetterTopicOf = (key: string): string => `${PREFIX}-${key}-dead-letter`;
export const pushSubscriptionOf = (key: string): string => `${PREFIX}-${key}-push`;

export interface WiringInput {
  /** `127.0.0.1:port` of the Pub/Sub stand-in. */
  pubsubAddress: string;
  project: string;
  /** Base URL of each function (`http://127.0.0.1:8081`). */
  functionUrls: Record<FunctionName, string>;
  /** Push unwrapped (`noWrapper` with `writeMetadata`), as Terraform's `push_unwrapped` does. */
  pushUnwrapped?: boolean;
}

/**
 * Creates every topic and subscription; existing ones are kept (the call is repeatable).
 *
 * @example
 *   await wireStack({ pubsubAddress: '127.0.0.1:8085', project: 'demo-project', functionUrls });
 */
export async function wireStack(input: WiringInput): Promise<void> {
  const client = new PubSub({ apiEndpoint: input.pubsubAddress, projectId: input.project });
  try {
    const topics = [
      ...Object.values(LOCAL_TOPICS),
      ...PUSH_ROUTES.map((route) => deadLetterTopicOf(route.key)),
    ];
    for (const topic of topics) await ignoreExisting(client.createTopic(topic));

    for (const route of PUSH_ROUTES) {
      const deadLetter = deadLetterTopicOf(route.key);
      // A topic with no subscription drops what lands there; keep dead letters for inspection.
      await ignoreExisting(client.createSubscription(deadLetter, `${deadLetter}-retained`));
      await ignoreExisting(
        client.createSubscription(route.topic, pushSubscriptionOf(route.key), {
          // The functions read the topic from the /projects/P/topics/T path.
          pushConfig: {
            pushEndpoint: `${input.functionUrls[route.target]}/projects/${input.project}/topics/${route.topic}`,
            ...(input.pushUnwrapped ? { noWrapper: { writeMetadata: true } } : {}),
          },
          ackDeadlineSeconds: 60,
          deadLetterPolicy: {
            deadLetterTopic: `projects/${input.project}/topics/${deadLetter}`,
            maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
          },
          // Short backoff: a local retry should show up within a second, not after ten.
          retryPolicy: { minimumBackoff: { seconds: 0, nanos: 200_000_000 }, maximumBackoff: { seconds: 5 } },
        }),
      );
    }
    await ignoreExisting(client.createSubscription(LOCAL_TOPICS.events, EVENTS_TAIL_SUBSCRIPTION));
  } finally {
    await client.close();
  }
}

const ALREADY_EXISTS = 6;

async function ignoreExisting(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
  }
}
