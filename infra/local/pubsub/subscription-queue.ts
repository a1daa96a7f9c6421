/**
 * The delivery state of one subscription: messages waiting to be delivered, and messages leased
 * to a consumer (pull, streaming pull or push) until they are acked, nacked or their ack deadline
 * passes. Redelivery, delivery-attempt counting and the hand-off to the dead-letter topic live here
 * so that all three delivery paths behave the same way.
 */
import type { StoredMessage } from './wire.js';

/** A message waiting in, or leased from, a subscription. */
export interface Delivery {
  message: StoredMessage;
  /** Deliveries made so far (the next one is attempt `attempts + 1`). */
  attempts: number;
  /** Epoch ms before which the message must not be delivered (push backoff). */
  readyAt: number;
}

/** A delivered, not yet acknowledged message. */
export interface Lease {
  ackId: string;
  delivery: Delivery;
  /** Epoch ms at which the message goes back to the queue. */
  deadline: number;
  /** Who holds the lease (a streaming-pull session, for flow control); `undefined` otherwise. */
  holder: object | undefined;
}

export interface SubscriptionQueueDeps {
  now(): number;
  nextAckId(): string;
  /** `maxDeliveryAttempts` of the dead-letter policy, or `undefined` when there is none. */
  maxDeliveryAttempts(): number | undefined;
  /** Called with a message that used up its delivery attempts. */
  onExhausted(delivery: Delivery): void;
  /** Called after every change that may let a consumer make progress. */
  notify(): void;
}

/** Timers never wait longer than this, so a clock jump cannot strand a message for long. */
const MAX_TIMER_MS = 60_000;

export class SubscriptionQueue {
  private pending: Delivery[] = [];
  private readonly leases = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly deps: SubscriptionQueueDeps) {}

  /** Adds a newly published message. */
  enqueue(message: StoredMessage): void {
    if (this.closed) return;
    this.pending.push({ message, attempts: 0, readyAt: 0 });
    this.changed();
  }

  /**
   * Leases up to `max` ready messages for `ackDeadlineMs`.
   *
   * @example
   *   const [lease] = queue.take(1, 10_000);   // lease?.ackId is what the consumer acks
   */
  take(max: number, ackDeadlineMs: number, holder?: object): Lease[] {
    this.expire();
    const now = this.deps.now();
    const taken: Lease[] = [];
    const keep: Delivery[] = [];
    for (const delivery of this.pending) {
      if (taken.length < max && delivery.readyAt <= now) {
        delivery.attempts += 1;
        const lease: Lease = {
          ackId: this.deps.nextAckId(),
          delivery,
          deadline: now + ackDeadlineMs,
          holder,
        };
        this.leases.set(lease.ackId, lease);
        taken.push(lease);
      } else {
        keep.push(delivery);
      }
    }
    this.pending = keep;
    if (taken.length > 0) this.schedule();
    return taken;
  }

  /** Acknowledges leases; unknown or expired ack ids are ignored, as the real service does. */
  ack(ackIds: readonly string[]): void {
    let changed = false;
    for (const ackId of ackIds) changed = this.leases.delete(ackId) || changed;
    if (changed) this.changed();
  }

  /** Sets a new deadline `seconds` from now; 0 nacks (the message is redelivered right away). */
  modifyAckDeadline(ackIds: readonly string[], seconds: number): void {
    if (seconds === 0) {
      for (const ackId of ackIds) this.release(ackId, 0);
      return;
    }
    const deadline = this.deps.now() + seconds * 1000;
    for (const ackId of ackIds) {
      const lease = this.leases.get(ackId);
      if (lease) lease.deadline = deadline;
    }
    this.schedule();
  }

  /** Ends a lease without an ack: the message is redelivered after `delayMs` or dead-lettered. */
  release(ackId: string, delayMs: number): void {
    const lease = this.leases.get(ackId);
    if (!lease) return;
    this.leases.delete(ackId);
    this.requeue(lease.delivery, delayMs);
    this.changed();
  }

  /** Leases still held by `holder` (expired ones are returned to the queue first). */
  leasedBy(holder: object): number {
    this.expire();
    let count = 0;
    for (const lease of this.leases.values()) if (lease.holder === holder) count += 1;
    return count;
  }

  /** Wakes consumers, e.g. after the subscription's push config changed. */
  poke(): void {
    this.changed();
  }

  /** Messages not yet acknowledged (waiting or leased). */
  get backlog(): number {
    return this.pending.length + this.leases.size;
  }

  /** Drops every message and stops the timer. */
  close(): void {
    this.closed = true;
    this.pending = [];
    this.leases.clear();
    this.clearTimer();
  }

  private requeue(delivery: Delivery, delayMs: number): void {
    const max = this.deps.maxDeliveryAttempts();
    if (max !== undefined && delivery.attempts >= max) {
      this.deps.onExhausted(delivery);
      return;
    }
    delivery.readyAt = this.deps.now() + delayMs;
    // Redeliveries go first, like the real service's preference for older messages.
    this.pending.unshift(delivery);
  }

  /** Returns leases whose deadline passed to the queue; true when any did. */
  private expire(): boolean {
    const now = this.deps.now();
    let expired = false;
    for (const [ackId, lease] of this.leases) {
      if (lease.deadline <= now) {
        this.leases.delete(ackId);
        this.requeue(lease.delivery, 0);
        expired = true;
      }
    }
    return expired;
  }

  private changed(): void {
    this.schedule();
    if (!this.closed) this.deps.notify();
  }

  /** Arms one timer for the next moment something becomes deliverable (deadline or backoff end). */
  private schedule(): void {
    if (this.closed) return;
    const now = this.deps.now();
    let next = Infinity;
    for (const lease of this.leases.values()) next = Math.min(next, lease.deadline);
    for (const delivery of this.pending) if (delivery.readyAt > now) next = Math.min(next, delivery.readyAt);
    if (next === this.timerAt && this.timer) return;
    this.clearTimer();
    if (next === Infinity) return;
    this.timerAt = next;
    const delay = Math.min(Math.max(next - now, 1), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.expire();
      this.changed();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
