/*
 * Run as a child process by close.test.ts: starts the stand-in with minute-long timers, creates
 * a job through the real client, closes both, and then must exit on its own. A timer or socket
 * left behind keeps the process alive and the test sees a timeout instead of an exit.
 */
import { jobSpec, PARENT, startHarness } from './helpers.js';

const h = await startHarness({ timings: { queuedMs: 60_000, scheduledMs: 60_000, runningMs: 60_000 } });
await h.client.createJob({ parent: PARENT, jobId: 'probe', job: jobSpec() });
await h.close();
console.log(`closed ${h.standIn.pendingTimers()}`);
