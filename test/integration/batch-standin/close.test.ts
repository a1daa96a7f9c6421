import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jobSpec, PARENT, startHarness, waitFor } from './helpers.js';

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('Batch stand-in: close()', () => {
  it('clears lifecycle, latency and retry timers so nothing keeps the process alive', async () => {
    const baseline = timeouts();
    const h = await startHarness({
      timings: { queuedMs: 60_000, scheduledMs: 60_000, runningMs: 60_000 },
      notifyBackoffMs: 60_000,
      notify: () => Promise.reject(new Error('always failing, so a retry timer is pending')),
    });
    const notifications = [
      { pubsubTopic: 'projects/p/topics/t', message: { type: 'JOB_STATE_CHANGED' as const } },
    ];
    for (const id of ['slow-a', 'slow-b', 'slow-c']) {
      await h.client.createJob({ parent: PARENT, jobId: id, job: jobSpec(['true'], { notifications }) });
    }
    // A call held back by injected latency is in flight while closing.
    h.standIn.setFaults({ latencyMs: { min: 60_000, max: 60_000 } });
    // No client retries: GetJob would otherwise retry UNAVAILABLE against the closed server.
    const held = h.client
      .getJob({ name: `${PARENT}/jobs/slow-a` }, { maxRetries: 0 })
      .catch((error: unknown) => error);
    // 3 lifecycle steps + 1 latency sleep (once the held call reached the server) + 1 notification
    // retry backoff.
    await waitFor(() => (h.standIn.pendingTimers() >= 5 ? true : undefined), 20_000);
    expect(h.standIn.pendingTimers()).toBe(5);
    expect(timeouts()).toBeGreaterThanOrEqual(baseline + 5);

    const closing = Date.now();
    await h.standIn.close();
    // Far below the 60 s the held call and the lifecycle timers would take.
    expect(Date.now() - closing).toBeLessThan(20_000);
    expect(h.standIn.pendingTimers()).toBe(0);
    const heldError = await held;
    // gax wraps the server's status when it may not retry it.
    expect((heldError as Error).message).toContain('UNAVAILABLE: The Batch stand-in is shutting down.');
    await h.client.close();
    await h.standIn.close(); // idempotent
    await new Promise((r) => setImmediate(r));
    expect(timeouts()).toBeLessThanOrEqual(baseline);
  });

  it('lets a process that used it exit by itself', { timeout: 90_000 }, () => {
    const probe = fileURLToPath(new URL('./exit-probe.ts', import.meta.url));
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', probe], {
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none', STREAMGATE_LOG_LEVEL: 'ERROR' },
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('closed 0');
    // Below the 60 s lifecycle timers the probe started (a process they kept alive would be killed
    // at 50 s, failing the checks above).
    expect(Date.now() - started).toBeLessThan(50_000);
  });
});
