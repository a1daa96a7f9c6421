/** The `google.pubsub.v1.Publisher` service: topics and publishing. */
import * as grpc from '@grpc/grpc-js';
import { grpcError } from './grpc-status.js';
import { paginate, unary } from './handlers.js';
import { parseProjectName, parseResourceName } from './names.js';
import {
  DeleteTopicRequestSchema,
  GetTopicRequestSchema,
  ListTopicSubscriptionsRequestSchema,
  ListTopicsRequestSchema,
  PublishRequestSchema,
  TopicSchema,
  UpdateTopicRequestSchema,
  parseRequest,
} from './schemas.js';
import type { PubSubStore, TopicRecord } from './store.js';
import { millisToProto, protoToMillis } from './wire.js';

/** The real service's limits on attributes (keys 256 bytes, values 1024 bytes, 100 per message). */
const MAX_ATTRIBUTES = 100;
const MAX_KEY_BYTES = 256;
const MAX_VALUE_BYTES = 1024;
const MAX_MESSAGES_PER_PUBLISH = 1000;

function topicToWire(topic: TopicRecord): Record<string, unknown> {
  return {
    name: topic.name,
    labels: topic.labels,
    ...(topic.messageRetentionMs === undefined
      ? {}
      : { messageRetentionDuration: millisToProto(topic.messageRetentionMs) }),
    state: 'ACTIVE',
  };
}

function checkAttributes(attributes: Record<string, string>): void {
  const entries = Object.entries(attributes);
  if (entries.length > MAX_ATTRIBUTES) throw grpcError(grpc.status.INVALID_ARGUMENT, 'Too many attributes');
  for (const [key, value] of entries) {
    if (key === '' || Buffer.byteLength(key) > MAX_KEY_BYTES || Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      throw grpcError(grpc.status.INVALID_ARGUMENT, `Invalid attribute: ${key.slice(0, 64)}`);
    }
    if (key.startsWith('goog'))
      throw grpcError(grpc.status.INVALID_ARGUMENT, `Reserved attribute key: ${key}`);
  }
}

/** Handlers for every Publisher RPC the stand-in supports (the rest answer UNIMPLEMENTED). */
export function publisherService(store: PubSubStore): grpc.UntypedServiceImplementation {
  return {
    CreateTopic: unary((request: unknown) => {
      const topic = parseRequest(TopicSchema, request);
      parseResourceName(topic.name, 'topics');
      const created = store.createTopic({
        name: topic.name,
        labels: topic.labels,
        messageRetentionMs: protoToMillis(topic.messageRetentionDuration),
      });
      return topicToWire(created);
    }),

    GetTopic: unary((request: unknown) => {
      const { topic } = parseRequest(GetTopicRequestSchema, request);
      parseResourceName(topic, 'topics');
      return topicToWire(store.getTopic(topic));
    }),

    UpdateTopic: unary((request: unknown) => {
      const { topic, updateMask } = parseRequest(UpdateTopicRequestSchema, request);
      const existing = store.getTopic(topic.name);
      const paths = updateMask?.paths ?? [];
      if (paths.length === 0) throw grpcError(grpc.status.INVALID_ARGUMENT, 'update_mask must not be empty');
      for (const path of paths) {
        if (path === 'labels') existing.labels = topic.labels;
        else if (path === 'message_retention_duration' || path === 'messageRetentionDuration') {
          existing.messageRetentionMs = protoToMillis(topic.messageRetentionDuration);
        } else throw grpcError(grpc.status.UNIMPLEMENTED, `The stand-in cannot update ${path}`);
      }
      return topicToWire(existing);
    }),

    Publish: unary((request: unknown) => {
      const { topic, messages } = parseRequest(PublishRequestSchema, request);
      parseResourceName(topic, 'topics');
      store.getTopic(topic);
      if (messages.length === 0) throw grpcError(grpc.status.INVALID_ARGUMENT, 'No messages to publish');
      if (messages.length > MAX_MESSAGES_PER_PUBLISH) {
        throw grpcError(grpc.status.INVALID_ARGUMENT, 'Too many messages in one request');
      }
      for (const message of messages) {
        if (message.data.length === 0 && Object.keys(message.attributes).length === 0) {
          throw grpcError(grpc.status.INVALID_ARGUMENT, 'Some messages are empty');
        }
        checkAttributes(message.attributes);
      }
      const messageIds = messages.map(
        (m) =>
          store.publish(topic, {
            data: Buffer.from(m.data),
            attributes: m.attributes,
            orderingKey: m.orderingKey,
          }).messageId,
      );
      return { messageIds };
    }),

    ListTopics: unary((request: unknown) => {
      const { project, pageSize, pageToken } = parseRequest(ListTopicsRequestSchema, request);
      parseProjectName(project);
      const topics = [...store.topics.values()].filter((t) => t.name.startsWith(`${project}/topics/`));
      const { page, nextPageToken } = paginate(topics, pageSize, pageToken);
      return { topics: page.map(topicToWire), nextPageToken };
    }),

    ListTopicSubscriptions: unary((request: unknown) => {
      const { topic, pageSize, pageToken } = parseRequest(ListTopicSubscriptionsRequestSchema, request);
      store.getTopic(topic);
      const names = [...store.subscriptions.values()]
        .filter((s) => s.config.topic === topic)
        .map((s) => s.config.name);
      const { page, nextPageToken } = paginate(names, pageSize, pageToken);
      return { subscriptions: page, nextPageToken };
    }),

    DeleteTopic: unary((request: unknown) => {
      const { topic } = parseRequest(DeleteTopicRequestSchema, request);
      store.deleteTopic(topic);
      return {};
    }),
  };
}
