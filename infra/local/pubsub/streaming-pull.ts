/**
 * StreamingPull sessions: the bidirectional stream `subscription.on('message', …)` uses. The first
 * request names the subscription and the stream ack deadline; the server then writes
 * `receivedMessages` while the client's outstanding count stays under `maxOutstandingMessages`.
 * Acks and deadline changes arrive on the stream or through the unary RPCs; both are honoured.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcError, isGrpcStatusError } from './grpc-status.js';
import { StreamingPullRequestSchema, parseRequest } from './schemas.js';
import type { PubSubStore, SubscriptionRecord } from './store.js';
import { toReceivedMessage } from './wire.js';

/** Messages written per response when the client sets no flow control. */
const MAX_BATCH = 1000;

type Call = grpc.ServerDuplexStream<unknown, unknown>;

class StreamingPullSession {
  private subscription: string | undefined;
  private ackDeadlineMs = 10_000;
  private maxOutstanding = 0;
  private waitingForDrain = false;
  private ended = false;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly store: PubSubStore,
    private readonly call: Call,
    private readonly onEnded: (session: StreamingPullSession) => void,
  ) {
    call.on('data', (request: unknown) => this.onRequest(request));
    call.on('end', () => this.finish());
    call.on('cancelled', () => this.cleanup());
    call.on('error', () => this.cleanup());
    call.on('close', () => this.cleanup());
    call.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }

  /** Ends the stream with OK (stand-in shutting down, or the client half-closed). */
  finish(): void {
    if (this.ended) return;
    this.cleanup();
    this.call.end();
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    this.cleanup();
    const status = isGrpcStatusError(error) ? error : grpcError(grpc.status.INTERNAL, String(error));
    this.call.emit('error', status);
  }

  private cleanup(): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe();
    this.onEnded(this);
  }

  private onRequest(raw: unknown): void {
    if (this.ended) return;
    try {
      const request = parseRequest(StreamingPullRequestSchema, raw);
      if (this.subscription === undefined) {
        if (request.subscription === '') {
          throw grpcError(grpc.status.INVALID_ARGUMENT, 'The first request must name the subscription');
        }
        this.store.getSubscription(request.subscription);
        this.subscription = request.subscription;
        this.unsubscribe = this.store.onChange((name) => {
          if (name === this.subscription) this.pump();
        });
        this.maxOutstanding = Number(request.maxOutstandingMessages);
      }
      if (request.streamAckDeadlineSeconds !== 0) {
        if (request.streamAckDeadlineSeconds < 10 || request.streamAckDeadlineSeconds > 600) {
          throw grpcError(
            grpc.status.INVALID_ARGUMENT,
            'stream_ack_deadline_seconds must be between 10 and 600',
          );
        }
        this.ackDeadlineMs = request.streamAckDeadlineSeconds * 1000;
      }
      if (request.modifyDeadlineAckIds.length !== request.modifyDeadlineSeconds.length) {
        throw grpcError(
          grpc.status.INVALID_ARGUMENT,
          'modify_deadline_ack_ids and modify_deadline_seconds differ in length',
        );
      }
      const queue = this.record().queue;
      if (request.ackIds.length > 0) queue.ack(request.ackIds);
      request.modifyDeadlineAckIds.forEach((ackId, i) =>
        queue.modifyAckDeadline([ackId], request.modifyDeadlineSeconds[i] ?? 0),
      );
      this.pump();
    } catch (error) {
      this.fail(error);
    }
  }

  private record(): SubscriptionRecord {
    if (this.subscription === undefined)
      throw grpcError(grpc.status.FAILED_PRECONDITION, 'No subscription yet');
    return this.store.getSubscription(this.subscription);
  }

  /** Writes as many ready messages as flow control allows. */
  private pump(): void {
    if (this.ended || this.waitingForDrain || this.subscription === undefined) return;
    const record = this.store.subscriptions.get(this.subscription);
    if (!record) {
      this.fail(grpcError(grpc.status.NOT_FOUND, 'Subscription does not exist'));
      return;
    }
    const room = this.maxOutstanding > 0 ? this.maxOutstanding - record.queue.leasedBy(this) : MAX_BATCH;
    if (room <= 0) return;
    const leases = record.queue.take(Math.min(room, MAX_BATCH), this.ackDeadlineMs, this);
    if (leases.length === 0) return;
    const hasDlp = record.config.deadLetterPolicy !== undefined;
    const response = {
      receivedMessages: leases.map((l) =>
        toReceivedMessage(l.ackId, l.delivery.message, l.delivery.attempts, hasDlp),
      ),
      subscriptionProperties: {
        exactlyOnceDeliveryEnabled: false,
        messageOrderingEnabled: record.config.enableMessageOrdering,
      },
    };
    if (!this.call.write(response)) this.waitingForDrain = true;
  }
}

/** Tracks open StreamingPull streams so the stand-in can end them on close. */
export class StreamingPullSessions {
  private readonly open_ = new Set<StreamingPullSession>();

  constructor(private readonly store: PubSubStore) {}

  /** Serves one StreamingPull call. */
  open(call: Call): void {
    this.open_.add(new StreamingPullSession(this.store, call, (s) => this.open_.delete(s)));
  }

  /** Ends every open stream. */
  close(): void {
    for (const session of [...this.open_]) session.finish();
  }
}
