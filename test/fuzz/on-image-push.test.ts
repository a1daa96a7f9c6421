/**
 * Fuzzes `onImagePush` over HTTP: Artifact Registry notifications that are valid (the pushed
 * image, by digest or tag), invalid by construction, for unmatched repositories, or randomly
 * mutated; junk data; garbage requests. No 5xx, no Batch work for bad input, coded refusals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../shared/core/events.js';
import {
  corpusEvents,
  junkBytes,
  junkJson,
  mutated,
  mutatedFrom,
  nastyString,
  REQUEST_IMAGE,
  type Json,
} from './arbitraries.js';
import {
  deliveries,
  expectNoServerError,
  expectRawHandled,
  expectRejectionsCoded,
  freshMessageId,
  observe,
  rawCases,
  rejectionsIn,
  send,
  useFuzzStack,
  type MessageCase,
  type RawCase,
} from './function-fuzz.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';

type Label = 'valid' | 'untagged' | 'invalid' | 'unmatched' | 'delete' | 'mutated' | 'junk' | 'raw';
type Case = (MessageCase | RawCase) & { label: Label };

const REPOSITORY = REQUEST_IMAGE.slice(0, REQUEST_IMAGE.lastIndexOf(':'));
const TAG = REQUEST_IMAGE.slice(REQUEST_IMAGE.lastIndexOf(':') + 1);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

const fuzz = useFuzzStack();

/** Notices built from the pushed digest (only known once the stack runs, hence a function). */
function cases(digest: string): fc.Arbitrary<Case> {
  const valid = fc.oneof(
    fc.constant<Json>({ action: 'INSERT', digest: `${REPOSITORY}@${digest}`, tag: REQUEST_IMAGE }),
    fc.constant<Json>({ action: 'INSERT', tag: `${REPOSITORY}:${TAG}` }),
  );
  // By digest only: no tag, and the fuzz stack's rule does not set `untagged`.
  const untagged = fc.constant<Json>({ action: 'INSERT', digest: `${REPOSITORY}@${digest}` });
  const invalid = fc.oneof(
    // An action that is neither INSERT nor DELETE.
    fc.record({
      action: nastyString.filter((a) => a !== 'INSERT' && a !== 'DELETE').map((a) => a.slice(0, 32)),
      digest: fc.constant(`${REPOSITORY}@${digest}`),
    }),
    // INSERT naming nothing.
    fc.constant({ action: 'INSERT' }),
    // A digest field without a digest.
    fc.record({
      action: fc.constant('INSERT'),
      digest: nastyString.filter((d) => d.length > 0 && d.length <= 1024 && !d.includes('@sha256:')),
    }),
    // Wrong types and shapes.
    fc.record({
      action: fc.oneof(fc.integer(), fc.constant(null), fc.constant([])),
      digest: fc.constant(`${REPOSITORY}@${digest}`),
    }),
    fc.oneof(
      fc.constant<Json>([]),
      fc.constant<Json>('INSERT'),
      fc.constant<Json>(42),
      fc.constant<Json>(null),
    ),
  );
  const unmatched = hex64.map((h): Json => ({
    action: 'INSERT',
    digest: `us-central1-docker.pkg.dev/demo-project/other/app@sha256:${h}`,
  }));
  const asMessage = (data: fc.Arbitrary<Buffer>, label: Label): fc.Arbitrary<Case> =>
    fc
      .record({ how: deliveries, data, attributes: fc.constant({}), longId: fc.boolean() })
      .map((m) => ({ kind: 'message' as const, label, ...m }));
  const bytes = (v: Json): Buffer => Buffer.from(JSON.stringify(v));
  return fc.oneof(
    { weight: 1, arbitrary: asMessage(valid.map(bytes), 'valid') },
    { weight: 1, arbitrary: asMessage(untagged.map(bytes), 'untagged') },
    {
      weight: 5,
      arbitrary: asMessage(
        invalid.map((v) => bytes(v as Json)),
        'invalid',
      ),
    },
    { weight: 1, arbitrary: asMessage(unmatched.map(bytes), 'unmatched') },
    {
      weight: 1,
      arbitrary: asMessage(fc.constant(bytes({ action: 'DELETE', tag: REQUEST_IMAGE })), 'delete'),
    },
    { weight: 3, arbitrary: asMessage(valid.chain((v) => mutated(v, 3)).map(bytes), 'mutated') },
    {
      weight: 1,
      arbitrary: asMessage(
        fc
          .oneof(
            junkBytes,
            junkJson.map((j) => new TextEncoder().encode(JSON.stringify(j))),
          )
          .map((b) => Buffer.from(b)),
        'junk',
      ),
    },
    {
      weight: 2,
      arbitrary: rawCases(mutatedFrom(corpusEvents())).map((r) => ({ ...r, label: 'raw' as const })),
    },
  );
}

/** True when a (possibly mutated) notice still names the pushed image as an INSERT. */
function namesPushedImage(data: Buffer, digest: string): boolean {
  let notice: unknown;
  try {
    notice = JSON.parse(data.toString('utf8'));
  } catch {
    return false;
  }
  const n = notice as { action?: unknown; digest?: unknown; tag?: unknown } | null;
  if (n === null || typeof n !== 'object' || n.action !== 'INSERT') return false;
  if (n.digest !== undefined) return typeof n.digest === 'string' && n.digest.endsWith(`@${digest}`);
  return typeof n.tag === 'string' && n.tag.includes('/demo-project/apps/web');
}

describe('fuzz: onImagePush', () => {
  it(
    'answers 204 or 4xx, touches Batch only for the pushed image, and codes every refusal',
    async () => {
      const seen: Record<Label | 'launched', number> = {
        valid: 0,
        untagged: 0,
        invalid: 0,
        unmatched: 0,
        delete: 0,
        mutated: 0,
        junk: 0,
        raw: 0,
        launched: 0,
      };
      await fc.assert(
        fc.asyncProperty(cases(fuzz().digest), async (c) => {
          seen[c.label] += 1;
          const o = await observe(fuzz().stack, () =>
            send(fuzz().stack, 'onImagePush', c, freshMessageId('push')),
          );
          expectRejectionsCoded(o);
          if (c.kind === 'raw') {
            expectRawHandled(o);
            expect(o.batchCalls).toBe(0);
            return;
          }
          expectNoServerError(o);
          expect(o.status).toBe(204);
          if (c.label === 'invalid' || c.label === 'junk') {
            expect(o.batchCalls).toBe(0);
            expect(rejectionsIn(o)).toHaveLength(1);
          }
          if (c.label === 'unmatched' || c.label === 'delete' || c.label === 'untagged') {
            expect(o.batchCalls).toBe(0);
            expect(o.events).toEqual([]);
          }
          if (c.label === 'valid') {
            expect(o.events.map((e) => e.type)).toEqual([EVENT_TYPES.launched]);
            seen.launched += 1;
          }
          // Whatever the mutation, Batch only ever creates the pushed image's job. (A notice for
          // another image under a rule is looked up first, GetJob only, to tell a repeat apart.)
          if (o.createCalls > 0) expect(namesPushedImage(c.data, fuzz().digest)).toBe(true);
        }),
        fuzzParameters(2_000),
      );
      expect(seen.invalid).toBeGreaterThan(0);
      if (seen.valid > 0) expect(seen.launched).toBe(seen.valid);
      // One digest, one rule: however many INSERTs arrived, exactly one job exists for it.
      const jobs = fuzz()
        .stack.standIns.batch.jobs()
        .filter((j) => JSON.stringify(j).includes(fuzz().digest));
      expect(jobs.length).toBeLessThanOrEqual(1);
      if (seen.valid > 0) expect(jobs).toHaveLength(1);
    },
    fuzzTimeoutMs(60_000),
  );
});
