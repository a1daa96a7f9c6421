/**
 * What the entry-point fuzz files share: the functions running on the stand-ins (the stack harness
 * of the integration tests), one eligible image in the registry, and an observer that tells, for
 * one HTTP call, the status, the jobs it created and the events it published.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';
import { fromPubsubMessage, type StreamgateEvent } from '../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { ELIGIBILITY_REASONS, REQUEST_REASONS } from '../../shared/core/reason-codes.js';
import { buildImage, makeLayer, Pusher } from '../helpers/oci-images.js';
import {
  EVENTS_TOPIC,
  startStack,
  type Delivery,
  type FunctionName,
  type Stack,
} from '../helpers/stack-harness.js';
import { junkBytes, junkJson, nastyString, REQUEST_IMAGE, type Json } from './arbitraries.js';
import { guardProcess, type ProcessGuard } from './process-guard.js';

export const KNOWN_CODES = new Set<string>([...REQUEST_REASONS, ...ELIGIBILITY_REASONS]);

export interface FuzzStack {
  stack: Stack;
  guard: ProcessGuard;
  /** `REQUEST_IMAGE` pinned to the digest pushed. */
  digest: string;
  close(): Promise<void>;
}

/**
 * Starts the stack (Batch lifecycle on manual, so no timers run during the fuzz) and pushes the
 * eligible image `REQUEST_IMAGE`, so valid requests really launch.
 */
export async function startFuzzStack(): Promise<FuzzStack> {
  const guard = guardProcess();
  const stack = await startStack({ batch: { timings: 'manual' } });
  const image = buildImage([await makeLayer({ 'app.txt': 'fuzz' })]);
  const digest = await new Pusher(stack.standIns.registry.url).pushImage(
    'demo-project/apps/web',
    image,
    REQUEST_IMAGE.split(':').at(-1) as string,
  );
  await stack.standIns.pushesSettled();
  return {
    stack,
    guard,
    digest,
    async close() {
      await stack.close();
      guard.stop();
    },
  };
}

export interface Observation {
  status: number;
  /** CreateJob RPCs the call caused. */
  createCalls: number;
  /** CreateJob + GetJob RPCs: any Batch work at all (bad input must cause none). */
  batchCalls: number;
  /** Events published to the events topic during the call. */
  events: StreamgateEvent[];
  body: string;
  /** functions-framework's `function-execution-status` header: `error` means streamgate threw. */
  executionStatus?: string;
  contentType: string;
}

/** Runs one call and reports what it did. Calls must not overlap (events are attributed by time). */
export async function observe(stack: Stack, call: () => Promise<Response>): Promise<Observation> {
  const eventsBefore = stack.standIns.pubsub.published(EVENTS_TOPIC).length;
  const batch = stack.standIns.batch;
  const createsBefore = batch.createCalls();
  const batchBefore = createsBefore + batch.callCount('getJob');
  const response = await call();
  const body = await response.text();
  const published = stack.standIns.pubsub.published(EVENTS_TOPIC).slice(eventsBefore);
  const executionStatus = response.headers.get('function-execution-status') ?? undefined;
  return {
    status: response.status,
    ...(executionStatus ? { executionStatus } : {}),
    contentType: response.headers.get('content-type') ?? '',
    createCalls: batch.createCalls() - createsBefore,
    batchCalls: batch.createCalls() + batch.callCount('getJob') - batchBefore,
    events: published.map((m) => fromPubsubMessage({ data: m.data, attributes: m.attributes })),
    body,
  };
}

/** No 5xx, ever: the fuzz injects no transient faults. */
export function expectNoServerError(observation: Observation): void {
  expect(
    observation.status,
    `5xx: ${observation.body.replace(/^[\s\S]*?<pre>/, '').slice(0, 300)}`,
  ).toBeLessThan(500);
}

/** 500s that functions-framework produced before any streamgate code ran (see below). */
const frameworkCrashes = { count: 0 };

/**
 * For garbage posted to a CloudEvent function: below 500, except where functions-framework 5.0.5
 * itself fails BEFORE streamgate runs. Its legacy-event middleware throws on bodies shaped like
 * background events it cannot convert (a string `text/plain` body, a primitive `context`, string
 * Pub/Sub `data`, unknown services), and its CloudEvent parser on string bodies with a
 * `traceparent`. Eventarc and Pub/Sub never send such requests (docs/reliability.md). Such a 500
 * must come from the framework (Express's error page with no streamgate frame, or the wrapper's
 * `crash` status), and streamgate must have done nothing: no job, no event.
 */
export function expectRawHandled(observation: Observation): void {
  if (observation.status < 500) return;
  const ours = /[\\/](functions|shared)[\\/][\w-]+\.(ts|js)/;
  const fromFramework =
    observation.executionStatus === 'crash' ||
    (observation.executionStatus === undefined &&
      observation.body.includes('<pre>') &&
      !ours.test(observation.body));
  if (!fromFramework) expectNoServerError(observation);
  expect(observation.batchCalls).toBe(0);
  expect(observation.events).toEqual([]);
  frameworkCrashes.count += 1;
}

/** Every `request.rejected` published carries at least one known reason code with a message. */
export function expectRejectionsCoded(observation: Observation): void {
  for (const event of rejectionsIn(observation)) {
    const reasons = (event.data as { reasons: Array<{ code: string; message: string }> }).reasons;
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) {
      expect(KNOWN_CODES.has(reason.code), `unknown code ${reason.code}`).toBe(true);
      expect(reason.message.length).toBeGreaterThan(0);
    }
  }
}

export function rejectionsIn(observation: Observation): StreamgateEvent[] {
  return observation.events.filter((e) => e.type === EVENT_TYPES.rejected);
}

// ---------------------------------------------------------------------------------------------
// How a Pub/Sub message (or garbage) reaches a CloudEvent function

/** One Pub/Sub message delivered in one of Google's three ways, with a unique message id. */
export interface MessageCase {
  kind: 'message';
  how: Delivery;
  data: Buffer;
  attributes: Record<string, string>;
  /** Use a 256-character message id (Pub/Sub allows them; events allow 128-character ids). */
  longId?: boolean;
}

/** Anything at all posted to the function: body, content type and CloudEvent headers. */
export interface RawCase {
  kind: 'raw';
  path: string;
  body: Buffer;
  headers: Record<string, string>;
}

export const deliveries: fc.Arbitrary<Delivery> = fc.constantFrom('structured', 'binary', 'push');

export const headerValue = nastyString.map((s) => s.replace(/[^\x20-\x7e]/g, '').slice(0, 200));

/** Garbage requests to a CloudEvent function: random bodies, content types, ce- headers, paths. */
export function rawCases(extraBodies: fc.Arbitrary<Json> = junkJson): fc.Arbitrary<RawCase> {
  return fc.record({
    kind: fc.constant('raw' as const),
    path: fc.constantFrom('/', '/projects/demo-project/topics/x', '/a/b?c=d', '/%2e%2e/'),
    body: fc.oneof(
      extraBodies.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      junkJson.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      junkBytes.map((b) => Buffer.from(b)),
    ),
    headers: fc
      .record(
        {
          'content-type': fc.constantFrom(
            'application/json',
            'application/cloudevents+json',
            'text/plain',
            'application/octet-stream',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
            'multipart/form-data; boundary=x',
          ),
          'ce-id': headerValue,
          'ce-type': fc.oneof(headerValue, fc.constant('google.cloud.pubsub.topic.v1.messagePublished')),
          'ce-source': headerValue,
          'ce-specversion': fc.constantFrom('1.0', '0.3', '2', ''),
          traceparent: headerValue,
        },
        { requiredKeys: ['content-type'] },
      )
      .map((h) => h as Record<string, string>),
  });
}

let nextMessage = 0;
/** A process-unique Pub/Sub message id, so events can be told apart. */
export function freshMessageId(prefix: string): string {
  nextMessage += 1;
  return `${prefix}-${process.pid}-${nextMessage}`;
}

/** Sends a case to a CloudEvent function. */
export function send(
  stack: Stack,
  fn: FunctionName,
  c: MessageCase | RawCase,
  messageId: string,
): Promise<Response> {
  if (c.kind === 'raw') return stack.post(fn, c.path, c.body, c.headers);
  const id = c.longId ? messageId.padEnd(256, 'x') : messageId;
  return stack.deliver(fn, { data: c.data, attributes: c.attributes, messageId: id }, c.how);
}

/**
 * One fuzz stack for the whole test file (started in beforeAll, closed in afterAll, which also fails
 * the file on any unhandled error the guard caught). Returns the running stack.
 *
 * @example
 *   const fuzz = useFuzzStack();
 *   it('…', async () => { await send(fuzz(), …); });
 */
export function useFuzzStack(): () => FuzzStack {
  let fuzz: FuzzStack | undefined;
  beforeAll(async () => {
    fuzz = await startFuzzStack();
  });
  afterAll(async () => {
    await fuzz?.close();
    expect(fuzz?.guard.failures ?? []).toEqual([]);
  });
  return () => {
    if (!fuzz) throw new Error('the fuzz stack is not running (use it inside a test)');
    return fuzz;
  };
}
