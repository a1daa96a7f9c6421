/**
 * Fuzzes `onJobRequest` over HTTP (functions-framework's test server): JobRequests that are valid,
 * invalid by construction, or randomly mutated, as structured/binary CloudEvents and raw push
 * bodies; plus junk bytes and mutated corpus events. No 5xx, no job from invalid input, and every
 * refusal is a coded `request.rejected`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { JobRequestV1Schema } from '../../shared/core/request.js';
import {
  corpusEvents,
  invalidJobRequest,
  junkBytes,
  mutated,
  mutatedFrom,
  validJobRequest,
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

type Case = (MessageCase | RawCase) & { label: 'valid' | 'invalid' | 'mutated' | 'junk' | 'raw' };

const attributes = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 });
const message = (data: fc.Arbitrary<Buffer>, label: Case['label']): fc.Arbitrary<Case> =>
  fc
    .record({ how: deliveries, data, attributes, longId: fc.boolean() })
    .map((m) => ({ kind: 'message' as const, label, ...m }));
const asBytes = (value: Json): Buffer => Buffer.from(JSON.stringify(value));

/** Requests the test can reason about: `valid` may launch, the others never may. */
const cases: fc.Arbitrary<Case> = fc.oneof(
  { weight: 1, arbitrary: message(validJobRequest().map(asBytes), 'valid') },
  { weight: 5, arbitrary: message(invalidJobRequest().map(asBytes), 'invalid') },
  {
    weight: 3,
    arbitrary: message(
      validJobRequest()
        .chain((r) => mutated(r, 3))
        .map(asBytes),
      'mutated',
    ),
  },
  {
    weight: 1,
    arbitrary: message(
      junkBytes.map((b) => Buffer.from(b)),
      'junk',
    ),
  },
  {
    weight: 2,
    arbitrary: rawCases(mutatedFrom(corpusEvents())).map((r) => ({ ...r, label: 'raw' as const })),
  },
);

const fuzz = useFuzzStack();

describe('fuzz: onJobRequest', () => {
  it(
    'answers 204 or 4xx, launches only valid requests, and codes every refusal',
    async () => {
      const seen = { valid: 0, invalid: 0, mutated: 0, junk: 0, raw: 0, launched: 0 };
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          seen[c.label] += 1;
          const messageId = freshMessageId('jr');
          const o = await observe(fuzz().stack, () => send(fuzz().stack, 'onJobRequest', c, messageId));
          expectRejectionsCoded(o);
          if (c.kind === 'raw') {
            expectRawHandled(o);
            expect(o.batchCalls).toBe(0);
            return;
          }
          expectNoServerError(o);
          // A Pub/Sub message always reaches the function, which acknowledges it (204) once handled.
          expect(o.status).toBe(204);
          const parsed = parseData(c.data);
          const schemaValid = parsed !== undefined && JobRequestV1Schema.safeParse(parsed).success;
          if (c.label === 'invalid' || c.label === 'junk') expect(schemaValid).toBe(false);
          if (!schemaValid) {
            expect(o.batchCalls).toBe(0);
            const rejected = rejectionsIn(o);
            expect(rejected).toHaveLength(1);
            expect(rejected[0]?.data).toMatchObject({
              source: 'pubsub',
              reasons: [{ code: 'INVALID_REQUEST' }],
            });
          } else {
            // Valid: exactly one outcome event, launched or rejected (policy, location, registry).
            expect(o.events).toHaveLength(1);
            const type = o.events[0]?.type;
            expect([EVENT_TYPES.launched, EVENT_TYPES.rejected]).toContain(type);
            if (type === EVENT_TYPES.launched) seen.launched += 1;
            else expect(o.createCalls).toBe(0);
          }
        }),
        fuzzParameters(2_000),
      );
      // The mix really exercised every class, and valid requests really launched.
      expect(seen.invalid).toBeGreaterThan(0);
      expect(seen.raw).toBeGreaterThan(0);
      if (seen.valid >= 20) expect(seen.launched).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(60_000),
  );
});

function parseData(data: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)) as unknown;
  } catch {
    return undefined;
  }
}
