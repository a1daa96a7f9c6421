import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { PUBSUB_CLOUDEVENT_TYPE } from '../../../shared/core/envelopes/pubsub.js';
import { startStack, type FunctionName, type Stack } from '../../helpers/stack-harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = path.resolve(repoRoot, 'test/fixtures/corpus/events');

interface CorpusFile {
  name: string;
  json: Record<string, unknown>;
  pubsub: boolean;
}

const files: CorpusFile[] = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(path.join(corpus, d.name))
      .filter((f) => f.endsWith('.json'))
      .map((f) => `${d.name}/${f}`),
  )
  .map((name) => ({
    name,
    json: JSON.parse(readFileSync(path.join(corpus, name), 'utf8')) as Record<string, unknown>,
    pubsub: /pubsub/.test(path.basename(name)),
  }));

/** The CloudEvent type a file stands for: its own, else guessed from its name. */
function typeOf(file: CorpusFile): string {
  if (typeof file.json.type === 'string') return file.json.type;
  if (file.pubsub) return PUBSUB_CLOUDEVENT_TYPE;
  if (file.name.includes('storage')) return 'google.cloud.storage.object.v1.finalized';
  return 'google.cloud.audit.log.v1.written';
}

type Mode = 'structured' | 'binary' | 'raw';
const MODES: readonly Mode[] = ['structured', 'binary', 'raw'];
const CLOUDEVENT_FUNCTIONS: readonly FunctionName[] = ['onImagePush', 'onJobRequest', 'onJobStateChanged'];

describe('bad input never answers 500 and never creates a job', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  function send(fn: FunctionName, file: CorpusFile, mode: Mode): Promise<Response> {
    const isCloudEvent = typeof file.json.specversion === 'string';
    if (mode === 'raw') {
      // A push endpoint names its topic in the path, as Terraform configures it.
      return stack.post(fn, '/projects/demo-project/topics/corpus', JSON.stringify(file.json), {
        'Content-Type': 'application/json',
      });
    }
    if (mode === 'structured') {
      const event = isCloudEvent
        ? file.json
        : {
            specversion: '1.0',
            id: `corpus-${file.name}`,
            source: '//corpus.test/events',
            type: typeOf(file),
            datacontenttype: 'application/json',
            data: file.json,
          };
      return stack.post(fn, '/', JSON.stringify(event), { 'Content-Type': 'application/cloudevents+json' });
    }
    const data = isCloudEvent ? (file.json.data ?? {}) : file.json;
    return stack.post(fn, '/', JSON.stringify(data), {
      'Content-Type': 'application/json',
      'ce-id': String(file.json.id ?? `corpus-${file.name}`),
      'ce-specversion': '1.0',
      'ce-source': String(file.json.source ?? '//corpus.test/events'),
      'ce-type': typeOf(file),
    });
  }

  it('has a corpus to replay', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => !f.pubsub)).toBe(true);
  });

  it.each(CLOUDEVENT_FUNCTIONS)('%s survives every corpus event in every delivery mode', async (fn) => {
    const createsBefore = stack.standIns.batch.createCalls();
    const failures: string[] = [];
    for (const file of files) {
      for (const mode of MODES) {
        const rejectedBefore = stack.events(EVENT_TYPES.rejected).length;
        const res = await send(fn, file, mode);
        if (res.status >= 500) failures.push(`${file.name} (${mode}): ${res.status} ${await res.text()}`);
        // Storage and audit events are refused with a reason (onJobStateChanged only logs them).
        if (!file.pubsub && res.status === 204 && fn !== 'onJobStateChanged') {
          const rejected = stack.events(EVENT_TYPES.rejected).slice(rejectedBefore);
          const codes = rejected.flatMap((e) => e.data.reasons.map((r) => r.code));
          if (!codes.some((c) => c === 'UNSUPPORTED_EVENT' || c === 'INVALID_ENVELOPE'))
            failures.push(`${file.name} (${mode}): not rejected with a reason code (${codes.join(',')})`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(stack.standIns.batch.createCalls()).toBe(createsBefore);
  });

  const garbage: Array<[string, string, Record<string, string>]> = [
    ['empty object', '{}', { 'Content-Type': 'application/json' }],
    ['array', '[]', { 'Content-Type': 'application/json' }],
    ['JSON string', '"x"', { 'Content-Type': 'application/json' }],
    ['broken JSON', '{"message":', { 'Content-Type': 'application/json' }],
    // Bodies functions-framework's CloudEvent middleware answered 500 to before any handler ran;
    // the event functions read pushes themselves now, as the message data of an unwrapped push.
    ['text body', 'hello', { 'Content-Type': 'text/plain' }],
    ['body without Content-Type', 'hello', {}],
    [
      'legacy event with a string context',
      '{"context":"x","data":{}}',
      { 'Content-Type': 'application/json' },
    ],
    [
      'invalid base64',
      JSON.stringify({ message: { data: '%%%not base64%%%', messageId: 'g-1' }, subscription: 's' }),
      { 'Content-Type': 'application/json' },
    ],
    [
      'non-JSON data',
      JSON.stringify({
        message: { data: Buffer.from('not json at all').toString('base64'), messageId: 'g-2' },
        subscription: 's',
      }),
      { 'Content-Type': 'application/json' },
    ],
    [
      'non-UTF-8 data',
      JSON.stringify({
        message: { data: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), messageId: 'g-3' },
      }),
      { 'Content-Type': 'application/json' },
    ],
    [
      'binary event with garbage data',
      '[1,2,3]',
      {
        'Content-Type': 'application/json',
        'ce-id': 'g-4',
        'ce-specversion': '1.0',
        'ce-source': '//x',
        'ce-type': PUBSUB_CLOUDEVENT_TYPE,
      },
    ],
    [
      'attributes that are not strings',
      JSON.stringify({ message: { data: '', messageId: 'g-5', attributes: { JobName: 7 } } }),
      { 'Content-Type': 'application/json' },
    ],
  ];

  it.each(CLOUDEVENT_FUNCTIONS)('%s acknowledges garbage without a 500', async (fn) => {
    const createsBefore = stack.standIns.batch.createCalls();
    for (const [label, body, headers] of garbage) {
      // A Buffer, so fetch adds no Content-Type of its own.
      const res = await stack.post(fn, '/', Buffer.from(body), headers);
      expect(res.status, label).toBeLessThan(500);
    }
    expect(stack.standIns.batch.createCalls()).toBe(createsBefore);
  });

  it('publishes request.rejected with INVALID_REQUEST for non-JSON push data', async () => {
    const res = await stack.deliver('onImagePush', { data: 'not json', messageId: 'push-garbage-1' });
    expect(res.status).toBe(204);
    const rejected = stack
      .events(EVENT_TYPES.rejected)
      .filter((e) => e.data.correlationId === 'push-garbage-1');
    expect(rejected.map((e) => e.data.reasons[0]?.code)).toEqual(['INVALID_REQUEST']);
  });

  it('never answers 500 for arbitrary JSON bodies (property)', async () => {
    const createsBefore = stack.standIns.batch.createCalls();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CLOUDEVENT_FUNCTIONS),
        fc.jsonValue({ maxDepth: 3 }),
        fc.boolean(),
        async (fn, value, wrap) => {
          const body = wrap
            ? { message: { data: Buffer.from(JSON.stringify(value)).toString('base64'), messageId: 'p' } }
            : value;
          const res = await stack.post(fn, '/', JSON.stringify(body), { 'Content-Type': 'application/json' });
          return res.status < 500;
        },
      ),
      { numRuns: 40, seed: 20260731 },
    );
    expect(stack.standIns.batch.createCalls()).toBe(createsBefore);
  });
});
