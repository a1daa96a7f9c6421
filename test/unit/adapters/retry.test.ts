import { describe, expect, it } from 'vitest';
import { retryingCall, type RetryPolicy } from '../../../shared/adapters/retry.js';

const policy: RetryPolicy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 0 };

function recorder() {
  const waits: number[] = [];
  return { waits, deps: { sleep: async (ms: number) => void waits.push(ms), random: () => 0.999 } };
}

describe('retryingCall', () => {
  it('retries a retryable failure and returns the value of the attempt that worked', async () => {
    const { waits, deps } = recorder();
    let calls = 0;
    const value = await retryingCall(
      policy,
      deps,
      () => true,
      async () => {
        calls += 1;
        if (calls < 3) throw new Error(`hiccup ${calls}`);
        return 'job';
      },
    );
    expect(value).toBe('job');
    expect(calls).toBe(3);
    expect(waits).toEqual([99, 199]); // full jitter under 100 ms, then 200 ms
  });

  it('rethrows the last error once the attempts run out', async () => {
    const { waits, deps } = recorder();
    let calls = 0;
    const failing = retryingCall(
      policy,
      deps,
      () => true,
      async () => {
        calls += 1;
        throw new Error(`hiccup ${calls}`);
      },
    );
    await expect(failing).rejects.toThrow('hiccup 3');
    expect(waits).toHaveLength(2);
  });

  it('rethrows a failure the caller does not call retryable at once', async () => {
    const { waits, deps } = recorder();
    let calls = 0;
    const refused = retryingCall(
      policy,
      deps,
      (e) => (e as Error).message !== 'refused',
      async () => {
        calls += 1;
        throw new Error('refused');
      },
    );
    await expect(refused).rejects.toThrow('refused');
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });
});
