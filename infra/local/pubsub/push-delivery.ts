/**
 * Push delivery: POSTs each message of a push subscription to its endpoint, wrapped or unwrapped
 * as the subscription says (push-body.ts). A 2xx acks it; any other status, a network error or a
 * timeout nacks it with exponential backoff, and the subscription's dead-letter policy applies as
 * for pulled messages. In-flight POSTs are bounded by `concurrency`, shared by all subscriptions.
 */
import { DEFAULT_PUSH_BACKOFF, pushBackoffMs, type BackoffClamp } from './backoff.js';
import { pushRequest } from './push-body.js';
import type { PubSubStore, SubscriptionRecord } from './store.js';
import type { Lease } from './subscription-queue.js';

export interface PushDeliveryOptions extends BackoffClamp {
  /** POSTs in flight at once, over all subscriptions. */
  concurrency: number;
  /** Per-POST timeout; never longer than the subscription's ack deadline. */
  timeoutMs: number;
}

export const DEFAULT_PUSH_OPTIONS: PushDeliveryOptions = {
  minBackoffMs: 100,
  maxBackoffMs: 10_000,
  concurrency: 8,
  timeoutMs: 10_000,
};

/** One push attempt, for tests and logs. */
export interface PushAttempt {
  subscription: string;
  messageId: string;
  attempt: number;
  /** HTTP status, or 0 for a network error or timeout. */
  status: number;
}

export class PushDeliverer {
  private inFlight = 0;
  private closed = false;
  private pumping = false;
  private readonly controllers = new Set<AbortController>();
  private readonly pending = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;
  private cursor = 0;

  constructor(
    private readonly store: PubSubStore,
    private readonly options: PushDeliveryOptions,
    private readonly onAttempt: (attempt: PushAttempt) => void = () => undefined,
  ) {
    this.unsubscribe = store.onChange(() => this.pump());
  }

  /** Starts POSTs until the concurrency limit is reached or nothing is ready. */
  pump(): void {
    // Re-entrant calls (a take that notifies) are folded into the running loop.
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      let idle = 0;
      while (this.inFlight < this.options.concurrency) {
        const subs = [...this.store.subscriptions.values()].filter((s) => s.config.pushEndpoint !== '');
        if (subs.length === 0 || idle >= subs.length) break;
        // Round-robin, so one busy subscription cannot starve the others.
        const sub = subs[this.cursor++ % subs.length];
        if (!sub) break;
        const timeoutMs = Math.min(this.options.timeoutMs, sub.config.ackDeadlineSeconds * 1000);
        const [lease] = sub.queue.take(1, sub.config.ackDeadlineSeconds * 1000);
        if (!lease) {
          idle += 1;
          continue;
        }
        idle = 0;
        this.start(sub, lease, timeoutMs);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Aborts in-flight POSTs and waits for them to settle; no more deliveries start. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    for (const controller of this.controllers) controller.abort();
    await Promise.allSettled([...this.pending]);
  }

  private start(sub: SubscriptionRecord, lease: Lease, timeoutMs: number): void {
    this.inFlight += 1;
    const task = this.deliver(sub, lease, timeoutMs).finally(() => {
      this.inFlight -= 1;
      this.pending.delete(task);
      this.pump();
    });
    this.pending.add(task);
  }

  private async deliver(sub: SubscriptionRecord, lease: Lease, timeoutMs: number): Promise<void> {
    const { config, queue } = sub;
    const attempt = lease.delivery.attempts;
    const { headers, body } = pushRequest(lease.delivery.message, config.name, {
      deliveryAttempt: config.deadLetterPolicy ? attempt : undefined,
      noWrapper: config.noWrapper,
    });
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    // 0 stands for a network error or timeout.
    let status = 0;
    try {
      const response = await fetch(config.pushEndpoint, {
        method: 'POST',
        headers: { 'user-agent': 'streamgate-pubsub-standin', ...headers },
        body: new Uint8Array(body),
        signal: controller.signal,
      });
      status = response.status;
      // Drain the body so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
    } catch {
      // Network error, refused connection or timeout: status stays 0 and the message is nacked.
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
    if (this.closed) return;
    this.onAttempt({
      subscription: config.name,
      messageId: lease.delivery.message.messageId,
      attempt,
      status,
    });
    if (status >= 200 && status < 300) {
      queue.ack([lease.ackId]);
    } else {
      queue.release(
        lease.ackId,
        pushBackoffMs(attempt, config.retryPolicy ?? DEFAULT_PUSH_BACKOFF, this.options),
      );
    }
  }
}
