/**
 * The stand-in's in-memory state: topics, subscriptions, the log of everything published, and
 * change notifications that wake pull waiters, streaming-pull sessions and the push deliverer.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcError } from './grpc-status.js';
import { DELETED_TOPIC, resourceIdOf } from './names.js';
import { SubscriptionQueue, type Delivery } from './subscription-queue.js';
import type { StoredMessage } from './wire.js';

export interface TopicRecord {
  name: string;
  labels: Record<string, string>;
  messageRetentionMs: number | undefined;
}

interface DeadLetterPolicy {
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

interface RetryPolicy {
  minimumBackoffMs: number;
  maximumBackoffMs: number;
}

export interface SubscriptionConfig {
  name: string;
  topic: string;
  pushEndpoint: string;
  pushAttributes: Record<string, string>;
  /** `pushConfig.noWrapper`: the data is the body; with `writeMetadata`, metadata and attributes are headers. */
  noWrapper: { writeMetadata: boolean } | undefined;
  ackDeadlineSeconds: number;
  labels: Record<string, string>;
  enableMessageOrdering: boolean;
  deadLetterPolicy: DeadLetterPolicy | undefined;
  retryPolicy: RetryPolicy | undefined;
}

export interface SubscriptionRecord {
  config: SubscriptionConfig;
  queue: SubscriptionQueue;
}

/** Something published, as `published()` reports it. */
export interface PublishedMessage {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: Date;
  orderingKey: string;
}

export type StoreListener = (subscriptionName: string) => void;
export type PublishListener = (topicName: string, message: PublishedMessage) => void;
export type ExhaustedHandler = (subscription: SubscriptionConfig, delivery: Delivery) => void;

export interface StoreOptions {
  now?: () => number;
  /** What to do with a message that used up its delivery attempts (the dead-letter forwarder). */
  onExhausted?: ExhaustedHandler;
}

export class PubSubStore {
  readonly topics = new Map<string, TopicRecord>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  private readonly log = new Map<string, PublishedMessage[]>();
  private readonly listeners = new Set<StoreListener>();
  private readonly publishListeners = new Set<PublishListener>();
  private nextMessageId = 1;
  private nextAck = 1;
  private readonly now: () => number;
  private onExhausted: ExhaustedHandler;

  constructor(options: StoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onExhausted = options.onExhausted ?? (() => undefined);
  }

  /** Sets the handler for messages that used up their delivery attempts. */
  setExhaustedHandler(handler: ExhaustedHandler): void {
    this.onExhausted = handler;
  }

  createTopic(topic: TopicRecord): TopicRecord {
    if (this.topics.has(topic.name)) throw grpcError(grpc.status.ALREADY_EXISTS, 'Topic already exists');
    this.topics.set(topic.name, topic);
    return topic;
  }

  getTopic(name: string): TopicRecord {
    const topic = this.topics.get(name);
    if (!topic) throw grpcError(grpc.status.NOT_FOUND, 'Topic not found');
    return topic;
  }

  /** Deletes a topic; its subscriptions stay, pointing at `_deleted-topic_`, like the real service. */
  deleteTopic(name: string): void {
    this.getTopic(name);
    this.topics.delete(name);
    for (const sub of this.subscriptions.values())
      if (sub.config.topic === name) sub.config.topic = DELETED_TOPIC;
  }

  createSubscription(config: SubscriptionConfig): SubscriptionRecord {
    if (this.subscriptions.has(config.name)) {
      throw grpcError(grpc.status.ALREADY_EXISTS, 'Subscription already exists');
    }
    this.getTopic(config.topic);
    const queue = new SubscriptionQueue({
      now: this.now,
      nextAckId: () => `ack-${this.nextAck++}`,
      maxDeliveryAttempts: () => record.config.deadLetterPolicy?.maxDeliveryAttempts,
      onExhausted: (delivery) => this.onExhausted(record.config, delivery),
      notify: () => this.emit(config.name),
    });
    const record: SubscriptionRecord = { config, queue };
    this.subscriptions.set(config.name, record);
    return record;
  }

  getSubscription(name: string): SubscriptionRecord {
    const sub = this.subscriptions.get(name);
    if (!sub) throw grpcError(grpc.status.NOT_FOUND, 'Subscription does not exist');
    return sub;
  }

  deleteSubscription(name: string): void {
    const sub = this.getSubscription(name);
    sub.queue.close();
    this.subscriptions.delete(name);
    this.emit(name);
  }

  /** Stores a message on a topic and queues it for every subscription that exists now. */
  publish(topicName: string, message: Omit<PublishedMessage, 'messageId' | 'publishTime'>): PublishedMessage {
    this.getTopic(topicName);
    const stored: PublishedMessage = {
      ...message,
      messageId: String(this.nextMessageId++),
      publishTime: new Date(this.now()),
    };
    const entries = this.log.get(topicName) ?? [];
    entries.push(stored);
    this.log.set(topicName, entries);
    for (const sub of this.subscriptions.values()) {
      if (sub.config.topic === topicName) sub.queue.enqueue(stored as StoredMessage);
    }
    for (const listener of this.publishListeners) listener(topicName, stored);
    return stored;
  }

  /** Every message published to the topic (full name, or an id matched against every project). */
  published(topic: string): PublishedMessage[] {
    if (topic.startsWith('projects/')) return [...(this.log.get(topic) ?? [])];
    const out: PublishedMessage[] = [];
    for (const [name, entries] of this.log) if (resourceIdOf(name) === topic) out.push(...entries);
    return out;
  }

  /** Subscribes to "something changed in subscription X"; returns the unsubscribe function. */
  onChange(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to every publish; returns the unsubscribe function. */
  onPublish(listener: PublishListener): () => void {
    this.publishListeners.add(listener);
    return () => this.publishListeners.delete(listener);
  }

  /** Stops every timer and forgets every listener. */
  close(): void {
    for (const sub of this.subscriptions.values()) sub.queue.close();
    this.listeners.clear();
    this.publishListeners.clear();
  }

  private emit(subscriptionName: string): void {
    for (const listener of [...this.listeners]) listener(subscriptionName);
  }
}
