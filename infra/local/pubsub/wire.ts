/**
 * Conversions between the stand-in's plain values and the protobuf-JS shapes grpc-js sends
 * (`google.protobuf.Timestamp` / `Duration` as `{ seconds, nanos }`, int64 as strings).
 */
import { z } from 'zod';

/** A Timestamp or Duration as decoded by proto-loader (`longs: String`) or written by us. */
export const ProtoSecondsSchema = z.object({
  seconds: z.union([z.string(), z.number()]).optional(),
  nanos: z.number().optional(),
});
export type ProtoSeconds = z.infer<typeof ProtoSecondsSchema>;

/** Milliseconds in a decoded Duration/Timestamp; `undefined` when the field is absent. */
export function protoToMillis(value: ProtoSeconds | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.seconds ?? 0);
  const nanos = value.nanos ?? 0;
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

/** Milliseconds as `{ seconds, nanos }` for a Timestamp or Duration field. */
export function millisToProto(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

/** A message as stored by the stand-in. */
export interface StoredMessage {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: Date;
  orderingKey: string;
}

/** The `PubsubMessage` proto for a stored message. */
function toWireMessage(message: StoredMessage): Record<string, unknown> {
  return {
    data: message.data,
    attributes: message.attributes,
    messageId: message.messageId,
    publishTime: millisToProto(message.publishTime.getTime()),
    orderingKey: message.orderingKey,
  };
}

/**
 * A `ReceivedMessage` proto. `deliveryAttempt` is only set when the subscription has a dead-letter
 * policy (the real service sends 0 otherwise).
 */
export function toReceivedMessage(
  ackId: string,
  message: StoredMessage,
  attempts: number,
  hasDeadLetterPolicy: boolean,
): Record<string, unknown> {
  return { ackId, message: toWireMessage(message), deliveryAttempt: hasDeadLetterPolicy ? attempts : 0 };
}
