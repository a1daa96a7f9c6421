/** Push retry delays: exponential between the subscription's retry policy bounds. */

export interface BackoffBounds {
  minimumBackoffMs: number;
  maximumBackoffMs: number;
}

/** The stand-in's clamp on every subscription's backoff, so local stacks and tests stay fast. */
export interface BackoffClamp {
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** Without a retry policy the real service applies its own push backoff; the stand-in approximates it as 100 ms to 60 s. */
export const DEFAULT_PUSH_BACKOFF: BackoffBounds = { minimumBackoffMs: 100, maximumBackoffMs: 60_000 };

/**
 * Delay before redelivering after failed attempt number `attempt` (1-based): `min * 2^(attempt-1)`,
 * capped at `max`; both bounds are first clamped into the stand-in's `[minBackoffMs, maxBackoffMs]`.
 *
 * @example
 *   pushBackoffMs(3, { minimumBackoffMs: 10_000, maximumBackoffMs: 600_000 }, { minBackoffMs: 0, maxBackoffMs: Infinity }); // 40_000
 */
export function pushBackoffMs(attempt: number, bounds: BackoffBounds, clamp: BackoffClamp): number {
  const fit = (ms: number) => Math.min(Math.max(ms, clamp.minBackoffMs), clamp.maxBackoffMs);
  const min = fit(bounds.minimumBackoffMs);
  const max = Math.max(fit(bounds.maximumBackoffMs), min);
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(min * 2 ** exponent, max);
}
