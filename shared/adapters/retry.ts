/**
 * Bounded retries with exponential backoff and full jitter, honouring a server's `Retry-After`:
 * the one retry loop of the adapters (registry HTTP, Batch gRPC). Sleep and randomness are
 * injected so tests run in milliseconds and can check the waits.
 */

export interface RetryPolicy {
  /** Total attempts, the first one included (>= 1). */
  attempts: number;
  /** Backoff base: attempt n waits up to `baseDelayMs * 2^(n-1)`, capped by `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` we are willing to honour; longer ones are cut to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 10_000,
};

export type Sleep = (ms: number) => Promise<void>;
export type Random = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What one attempt produced. `retry` asks for another attempt (optionally after the server's
 * `Retry-After`); `done` ends the loop with a value.
 */
export type AttemptOutcome<T> =
  { kind: 'done'; value: T } | { kind: 'retry'; retryAfterMs?: number; last: T };

/**
 * Runs `attempt` until it is `done` or the attempts run out; returns the last outcome's value
 * and how many attempts ran. Exceptions from `attempt` are not caught: the caller decides which
 * failures are retryable and reports them as `retry`.
 *
 * @example
 *   const { value } = await retrying(policy, deps, async () => {
 *     const res = await get();
 *     return res.status >= 500 ? { kind: 'retry', last: res } : { kind: 'done', value: res };
 *   });
 */
export async function retrying<T>(
  policy: RetryPolicy,
  deps: { sleep: Sleep; random: Random },
  attempt: (attemptNumber: number) => Promise<AttemptOutcome<T>>,
): Promise<{ value: T; attempts: number; exhausted: boolean }> {
  const total = Math.max(1, Math.floor(policy.attempts));
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (outcome.kind === 'done') return { value: outcome.value, attempts: n, exhausted: false };
    if (n >= total) return { value: outcome.last, attempts: n, exhausted: true };
    await deps.sleep(backoffDelay(policy, n, outcome.retryAfterMs, deps.random));
  }
}

/**
 * Runs `call` again while it throws an error `isRetryable` accepts and attempts remain; the last
 * error is rethrown. For calls that are safe to repeat (a Batch job id + requestId, a GET).
 *
 * @example
 *   const [job] = await retryingCall(policy, deps, isTransientGrpcError, () => batch.getJob({ name }));
 */
export async function retryingCall<T>(
  policy: RetryPolicy,
  deps: { sleep: Sleep; random: Random },
  isRetryable: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T> {
  const { value } = await retrying<{ ok: true; value: T } | { ok: false; error: unknown }>(
    policy,
    deps,
    async () => {
      try {
        return { kind: 'done', value: { ok: true, value: await call() } };
      } catch (error) {
        const failed = { ok: false as const, error };
        return isRetryable(error) ? { kind: 'retry', last: failed } : { kind: 'done', value: failed };
      }
    },
  );
  if (!value.ok) throw value.error;
  return value.value;
}

/**
 * The wait before attempt `n + 1`: the server's `Retry-After` when given (capped), else full
 * jitter, a uniform pick in [0, min(maxDelay, base * 2^(n-1))].
 */
export function backoffDelay(
  policy: RetryPolicy,
  n: number,
  retryAfterMs: number | undefined,
  random: Random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns
 * milliseconds from `now`, or undefined when absent or unreadable.
 *
 * @example
 *   parseRetryAfter('2', 0) // 2000
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
