/**
 * zod schemas for the requests the stand-in accepts, as proto-loader decodes them (camelCase,
 * defaults filled in, int64 as strings). Parsing at the edge turns malformed input into
 * INVALID_ARGUMENT instead of a crash deep inside a handler.
 */
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { grpcError } from './grpc-status.js';
import { ProtoSecondsSchema } from './wire.js';

const StringMap = z.record(z.string(), z.string()).default({});
const PageFields = { pageSize: z.number().int().min(0).default(0), pageToken: z.string().default('') };

export const TopicSchema = z.object({
  name: z.string(),
  labels: StringMap,
  messageRetentionDuration: ProtoSecondsSchema.nullish(),
});

export const UpdateTopicRequestSchema = z.object({
  topic: TopicSchema,
  updateMask: z.object({ paths: z.array(z.string()).default([]) }).nullish(),
});

export const PublishRequestSchema = z.object({
  topic: z.string(),
  messages: z
    .array(
      z.object({
        data: z.instanceof(Buffer).or(z.instanceof(Uint8Array)).default(Buffer.alloc(0)),
        attributes: StringMap,
        orderingKey: z.string().default(''),
      }),
    )
    .default([]),
});

export const GetTopicRequestSchema = z.object({ topic: z.string() });
export const DeleteTopicRequestSchema = z.object({ topic: z.string() });
export const ListTopicsRequestSchema = z.object({ project: z.string(), ...PageFields });
export const ListTopicSubscriptionsRequestSchema = z.object({ topic: z.string(), ...PageFields });

export const PushConfigSchema = z.object({
  pushEndpoint: z.string().default(''),
  attributes: StringMap,
  // The `wrapper` oneof: `pubsubWrapper` (the default) or `noWrapper`.
  noWrapper: z.object({ writeMetadata: z.boolean().default(false) }).nullish(),
});

export const SubscriptionSchema = z.object({
  name: z.string(),
  topic: z.string(),
  pushConfig: PushConfigSchema.nullish(),
  ackDeadlineSeconds: z.number().int().default(0),
  labels: StringMap,
  enableMessageOrdering: z.boolean().default(false),
  filter: z.string().default(''),
  enableExactlyOnceDelivery: z.boolean().default(false),
  deadLetterPolicy: z
    .object({ deadLetterTopic: z.string().default(''), maxDeliveryAttempts: z.number().int().default(0) })
    .nullish(),
  retryPolicy: z
    .object({ minimumBackoff: ProtoSecondsSchema.nullish(), maximumBackoff: ProtoSecondsSchema.nullish() })
    .nullish(),
  bigqueryConfig: z.unknown().optional(),
  cloudStorageConfig: z.unknown().optional(),
});

export const GetSubscriptionRequestSchema = z.object({ subscription: z.string() });
export const DeleteSubscriptionRequestSchema = z.object({ subscription: z.string() });
export const ListSubscriptionsRequestSchema = z.object({ project: z.string(), ...PageFields });
export const ModifyPushConfigRequestSchema = z.object({
  subscription: z.string(),
  pushConfig: PushConfigSchema.nullish(),
});
export const PullRequestSchema = z.object({
  subscription: z.string(),
  returnImmediately: z.boolean().default(false),
  maxMessages: z.number().int().default(0),
});
export const AcknowledgeRequestSchema = z.object({
  subscription: z.string(),
  ackIds: z.array(z.string()).default([]),
});
export const ModifyAckDeadlineRequestSchema = z.object({
  subscription: z.string(),
  ackIds: z.array(z.string()).default([]),
  ackDeadlineSeconds: z.number().int(),
});
export const StreamingPullRequestSchema = z.object({
  subscription: z.string().default(''),
  ackIds: z.array(z.string()).default([]),
  modifyDeadlineSeconds: z.array(z.number().int()).default([]),
  modifyDeadlineAckIds: z.array(z.string()).default([]),
  streamAckDeadlineSeconds: z.number().int().default(0),
  clientId: z.string().default(''),
  maxOutstandingMessages: z.union([z.string(), z.number()]).default(0),
  maxOutstandingBytes: z.union([z.string(), z.number()]).default(0),
});

/**
 * Parses a decoded request; a mismatch becomes INVALID_ARGUMENT listing the bad fields.
 *
 * @example
 *   const { topic, messages } = parseRequest(PublishRequestSchema, call.request);
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw grpcError(grpc.status.INVALID_ARGUMENT, `Invalid request: ${issues}`);
  }
  return result.data;
}
