/**
 * Fuzzes the Pub/Sub envelope decoder (`decodePubsubEvent`, `messageJson`): every shape an entry
 * point can be handed, random and mutated from the corpus events.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePubsubEvent,
  messageJson,
  PUBSUB_CLOUDEVENT_TYPE,
} from '../../shared/core/envelopes/pubsub.js';
import { REQUEST_REASONS } from '../../shared/core/reason-codes.js';
import { corpusEvents, junkJson, mutatedFrom, nastyString, type Json } from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';
import { guardProcessForFile } from './process-guard.js';

const events = corpusEvents();
const CODES = new Set<string>(REQUEST_REASONS);

const attributes = fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 5 });
const messageId = fc.stringMatching(/^[0-9A-Za-z-]{1,40}$/);

/** A real message and every wrapping the decoder must see through. */
const wrapped = fc
  .record({
    data: fc.uint8Array({ maxLength: 300 }),
    attributes,
    messageId,
    snake: fc.boolean(),
    shape: fc.constantFrom('structured', 'structured-text', 'binary-bytes', 'raw-push'),
    subscription: fc.constant('projects/p/subscriptions/s'),
  })
  .map((m) => {
    const base64 = Buffer.from(m.data).toString('base64');
    const message = m.snake
      ? {
          data: base64,
          attributes: m.attributes,
          message_id: m.messageId,
          publish_time: '2026-01-01T00:00:00Z',
        }
      : {
          data: base64,
          attributes: m.attributes,
          messageId: m.messageId,
          publishTime: '2026-01-01T00:00:00Z',
        };
    const body = { message, subscription: m.subscription };
    const head = {
      specversion: '1.0',
      type: PUBSUB_CLOUDEVENT_TYPE,
      source: '//pubsub.googleapis.com/projects/p/topics/t',
      id: m.messageId,
    };
    const event: unknown =
      m.shape === 'structured'
        ? { ...head, data: body }
        : m.shape === 'structured-text'
          ? { ...head, data: JSON.stringify(body) }
          : m.shape === 'binary-bytes'
            ? { ...head, data: new TextEncoder().encode(JSON.stringify(body)) }
            : body;
    return { event, expected: m };
  });

const anyEvent: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: mutatedFrom(events) },
  { weight: 1, arbitrary: junkJson },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          type: fc.oneof(fc.constant(PUBSUB_CLOUDEVENT_TYPE), nastyString),
          source: nastyString,
          id: nastyString,
          data: junkJson,
        },
        { requiredKeys: [] },
      )
      .map((e) => e as unknown),
  },
);

guardProcessForFile();

describe('fuzz: Pub/Sub envelope decoder', () => {
  it(
    'never throws; a refusal always carries a request reason code and a message',
    () => {
      fc.assert(
        fc.property(anyEvent, (event) => {
          const result = decodePubsubEvent(event);
          if (result.ok) {
            expect(Buffer.isBuffer(result.message.data)).toBe(true);
            expect(result.message.messageId.length).toBeGreaterThan(0);
            for (const [k, v] of Object.entries(result.message.attributes)) {
              expect(typeof k).toBe('string');
              expect(typeof v).toBe('string');
            }
            // The JSON view of the data never throws either.
            messageJson(result.message);
          } else {
            expect(CODES.has(result.reason.code), result.reason.code).toBe(true);
            expect(result.reason.message.length).toBeGreaterThan(0);
          }
        }),
        fuzzParameters(2_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'recovers the exact bytes, attributes and message id from every wrapping',
    () => {
      fc.assert(
        fc.property(wrapped, ({ event, expected }) => {
          const result = decodePubsubEvent(event);
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect([...result.message.data]).toEqual([...expected.data]);
          expect(result.message.attributes).toEqual(expected.attributes);
          expect(result.message.messageId).toBe(expected.messageId);
          expect(result.message.publishTime).toBe('2026-01-01T00:00:00Z');
        }),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'refuses any other CloudEvent type as UNSUPPORTED_EVENT',
    () => {
      fc.assert(
        fc.property(
          nastyString.filter((t) => t !== PUBSUB_CLOUDEVENT_TYPE && t.length <= 512),
          junkJson,
          (type, data) => {
            const result = decodePubsubEvent({ specversion: '1.0', type, source: 's', id: 'i', data });
            expect(result.ok).toBe(false);
            if (!result.ok) expect(result.reason.code).toBe('UNSUPPORTED_EVENT');
          },
        ),
        fuzzParameters(500),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'messageJson returns the parsed JSON for UTF-8 JSON data and undefined for anything else',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            (fc.jsonValue() as fc.Arbitrary<Json>).map((v) => Buffer.from(JSON.stringify(v), 'utf8')),
            fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
          ),
          (data) => {
            const value = messageJson({ messageId: 'm', data, attributes: {} });
            let expected: unknown;
            try {
              expected = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)) as unknown;
            } catch {
              expected = undefined;
            }
            if (data.length === 0) expected = undefined;
            expect(value).toEqual(expected);
          },
        ),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );
});

describe('envelope regressions', () => {
  it('keeps an attribute named __proto__ (zod records dropped it) without touching the prototype', () => {
    const push = JSON.parse(
      '{"message":{"data":"","messageId":"1","attributes":{"__proto__":"x","a":"b"}},"subscription":"s"}',
    ) as unknown;
    const result = decodePubsubEvent(push);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.message.attributes).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(result.message.attributes, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(result.message.attributes)).toBe(Object.prototype);
    // A non-string __proto__ is dropped like zod would refuse any other non-string value.
    const bad = JSON.parse(
      '{"message":{"messageId":"1","attributes":{"__proto__":{"polluted":true}}}}',
    ) as unknown;
    const decoded = decodePubsubEvent(bad);
    if (decoded.ok) expect(Object.keys(decoded.message.attributes)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
