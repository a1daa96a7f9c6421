/**
 * Fuzzes `onJobStateChanged` over HTTP: Batch notifications in the real format (attributes and a
 * plain-text body) for streamgate's own jobs, unknown jobs and mutated ones; junk; garbage
 * requests. Never a job, `job.completed` only for a job that really is terminal and with Batch's
 * state, and no 5xx except the retry of a terminal claim Batch does not show yet.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { JobNotificationSchema } from '../../shared/pipeline/job-notifications.js';
import {
  batchNotification,
  corpusEvents,
  junkBytes,
  mutatedFrom,
  mutatedNotification,
  REQUEST_IMAGE,
  type NotificationParts,
} from './arbitraries.js';
import {
  deliveries,
  expectNoServerError,
  expectRawHandled,
  freshMessageId,
  observe,
  rawCases,
  send,
  startFuzzStack,
  type FuzzStack,
  type MessageCase,
  type RawCase,
} from './function-fuzz.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';

type Case = MessageCase | RawCase;

let fuzz: FuzzStack;
/** Ids of streamgate jobs created for the fuzz (some advanced to terminal states). */
const jobIds: string[] = [];

beforeAll(async () => {
  fuzz = await startFuzzStack();
  const { batch } = fuzz.stack.standIns;
  for (let i = 0; i < 4; i++) {
    const response = await fuzz.stack.webhook(
      '/jobs',
      { apiVersion: 'streamgate/v1', image: REQUEST_IMAGE },
      {
        headers: { 'Idempotency-Key': `state-fuzz-${i}` },
      },
    );
    expect(response.status).toBe(202);
    const { jobName, jobId } = (await response.json()) as { jobName: string; jobId: string };
    jobIds.push(jobId);
    // QUEUED -> SCHEDULED -> RUNNING -> SUCCEEDED for half of them.
    if (i % 2 === 0) for (let step = 0; step < 3; step++) batch.advance(jobName);
  }
});
afterAll(async () => {
  await fuzz?.close();
  expect(fuzz?.guard.failures ?? []).toEqual([]);
});

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** A well-formed notification claiming a terminal state for one of our jobs that Batch holds unfinished. */
function unconfirmedClaim(attributes: Record<string, string>): boolean {
  if (!TERMINAL.has(attributes.NewJobState ?? '') || attributes.Type === 'TASK_STATE_CHANGED') return false;
  if (!JobNotificationSchema.safeParse(attributes).success) return false;
  const stored = fuzz.stack.standIns.batch.getJobByName(attributes.JobName ?? '');
  return stored !== undefined && !TERMINAL.has(stored.status.state);
}

const toMessage = (parts: fc.Arbitrary<NotificationParts>): fc.Arbitrary<Case> =>
  fc.record({ how: deliveries, parts, longId: fc.boolean() }).map(({ how, parts: p, longId }) => ({
    kind: 'message' as const,
    how,
    data: Buffer.from(p.text),
    attributes: p.attributes,
    longId,
  }));

describe('fuzz: onJobStateChanged', () => {
  it(
    'answers 204 or 4xx (500 to retry a terminal claim Batch does not show), never creates a job, and reports completion only as Batch records it',
    async () => {
      const ours = fc.constantFrom(...jobIds);
      const cases: fc.Arbitrary<Case> = fc.oneof(
        { weight: 3, arbitrary: toMessage(batchNotification(ours)) },
        { weight: 1, arbitrary: toMessage(batchNotification()) },
        { weight: 3, arbitrary: toMessage(mutatedNotification()) },
        {
          weight: 1,
          arbitrary: fc
            .record({
              how: deliveries,
              data: junkBytes,
              attributes: fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }),
            })
            .map((m) => ({
              kind: 'message' as const,
              how: m.how,
              data: Buffer.from(m.data),
              attributes: m.attributes,
            })),
        },
        { weight: 2, arbitrary: rawCases(mutatedFrom(corpusEvents())) },
      );
      const { batch } = fuzz.stack.standIns;
      let completed = 0;
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const o = await observe(fuzz.stack, () =>
            send(fuzz.stack, 'onJobStateChanged', c, freshMessageId('note')),
          );
          expect(o.createCalls).toBe(0);
          if (c.kind === 'raw') {
            expectRawHandled(o);
            return;
          }
          if (unconfirmedClaim(c.attributes)) {
            // A terminal claim Batch does not show for one of our jobs: retried, never published.
            expect(o.status).toBe(500);
            expect(o.events).toEqual([]);
            return;
          }
          expectNoServerError(o);
          expect(o.status).toBe(204);
          for (const event of o.events) {
            expect([EVENT_TYPES.completed, EVENT_TYPES.stateChanged]).toContain(event.type);
            if (event.type !== EVENT_TYPES.completed) continue;
            completed += 1;
            const data = event.data as { jobName: string; state: string };
            const stored = batch.getJobByName(data.jobName);
            expect(stored, `job.completed for unknown job ${data.jobName}`).toBeDefined();
            // Batch's recorded state, whatever the notification claimed (issue 11).
            expect(data.state).toBe(stored?.status.state);
            expect(['SUCCEEDED', 'FAILED', 'CANCELLED']).toContain(data.state);
            expect(JSON.stringify(stored?.labels ?? {})).toContain('streamgate-managed');
          }
        }),
        fuzzParameters(2_000),
      );
      // Real-format notifications for finished jobs did produce completions.
      expect(completed).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(60_000),
  );
});
