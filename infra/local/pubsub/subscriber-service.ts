/** The `google.pubsub.v1.Subscriber` service: subscriptions, Pull, acks and StreamingPull. */
import * as grpc from '@grpc/grpc-js';
import { grpcError } from './grpc-status.js';
import { paginate, unary } from './handlers.js';
import { parseProjectName, parseResourceName } from './names.js';
import { PullWaiters } from './pull-waiters.js';
import {
  AcknowledgeRequestSchema,
  DeleteSubscriptionRequestSchema,
  GetSubscriptionRequestSchema,
  ListSubscriptionsRequestSchema,
  ModifyAckDeadlineRequestSchema,
  ModifyPushConfigRequestSchema,
  PullRequestSchema,
  SubscriptionSchema,
  parseRequest,
} from './schemas.js';
import type { PubSubStore } from './store.js';
import { StreamingPullSessions } from './streaming-pull.js';
import { checkPushConfig, subscriptionToWire, toSubscriptionConfig } from './subscription-config.js';
import { toReceivedMessage } from './wire.js';

/** The real service caps one Pull response at 1000 messages. */
const MAX_PULL_MESSAGES = 1000;

export interface SubscriberServiceOptions {
  /** How long a Pull without `returnImmediately` waits for a message before answering empty. */
  pullWaitMs: number;
}

export interface SubscriberService {
  implementation: grpc.UntypedServiceImplementation;
  /** Ends pending Pulls and open StreamingPull streams. */
  close(): void;
}

function checkAckDeadline(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
    throw grpcError(grpc.status.INVALID_ARGUMENT, 'Invalid ack deadline: must be between 0 and 600 seconds');
  }
}

/** Handlers for every Subscriber RPC the stand-in supports (snapshots and seek answer UNIMPLEMENTED). */
export function subscriberService(store: PubSubStore, options: SubscriberServiceOptions): SubscriberService {
  const waiters = new PullWaiters(store);
  const sessions = new StreamingPullSessions(store);

  const implementation: grpc.UntypedServiceImplementation = {
    CreateSubscription: unary((request: unknown) => {
      const config = toSubscriptionConfig(parseRequest(SubscriptionSchema, request));
      return subscriptionToWire(store.createSubscription(config).config);
    }),

    GetSubscription: unary((request: unknown) => {
      const { subscription } = parseRequest(GetSubscriptionRequestSchema, request);
      parseResourceName(subscription, 'subscriptions');
      return subscriptionToWire(store.getSubscription(subscription).config);
    }),

    ListSubscriptions: unary((request: unknown) => {
      const { project, pageSize, pageToken } = parseRequest(ListSubscriptionsRequestSchema, request);
      parseProjectName(project);
      const subs = [...store.subscriptions.values()].filter((s) =>
        s.config.name.startsWith(`${project}/subscriptions/`),
      );
      const { page, nextPageToken } = paginate(subs, pageSize, pageToken);
      return { subscriptions: page.map((s) => subscriptionToWire(s.config)), nextPageToken };
    }),

    DeleteSubscription: unary((request: unknown) => {
      const { subscription } = parseRequest(DeleteSubscriptionRequestSchema, request);
      store.deleteSubscription(subscription);
      return {};
    }),

    ModifyPushConfig: unary((request: unknown) => {
      const { subscription, pushConfig } = parseRequest(ModifyPushConfigRequestSchema, request);
      const record = store.getSubscription(subscription);
      Object.assign(record.config, checkPushConfig(pushConfig));
      // A new push endpoint may mean messages can now be pushed.
      record.queue.poke();
      return {};
    }),

    Pull: unary(async (request: unknown, call) => {
      const { subscription, maxMessages, returnImmediately } = parseRequest(PullRequestSchema, request);
      const record = store.getSubscription(subscription);
      if (maxMessages <= 0)
        throw grpcError(grpc.status.INVALID_ARGUMENT, 'max_messages must be greater than 0');
      const attempt = () => {
        const current = store.subscriptions.get(subscription);
        if (!current) return [];
        return current.queue.take(
          Math.min(maxMessages, MAX_PULL_MESSAGES),
          current.config.ackDeadlineSeconds * 1000,
        );
      };
      const leases = await waiters.wait(
        subscription,
        attempt,
        returnImmediately ? 0 : options.pullWaitMs,
        (stop) => call.on('cancelled', stop),
      );
      const hasDlp = record.config.deadLetterPolicy !== undefined;
      return {
        receivedMessages: leases.map((l) =>
          toReceivedMessage(l.ackId, l.delivery.message, l.delivery.attempts, hasDlp),
        ),
      };
    }),

    Acknowledge: unary((request: unknown) => {
      const { subscription, ackIds } = parseRequest(AcknowledgeRequestSchema, request);
      store.getSubscription(subscription).queue.ack(ackIds);
      return {};
    }),

    ModifyAckDeadline: unary((request: unknown) => {
      const { subscription, ackIds, ackDeadlineSeconds } = parseRequest(
        ModifyAckDeadlineRequestSchema,
        request,
      );
      checkAckDeadline(ackDeadlineSeconds);
      store.getSubscription(subscription).queue.modifyAckDeadline(ackIds, ackDeadlineSeconds);
      return {};
    }),

    StreamingPull: (call: grpc.ServerDuplexStream<unknown, unknown>) => sessions.open(call),
  };

  return {
    implementation,
    close: () => {
      waiters.close();
      sessions.close();
    },
  };
}
