import './zod-locale.js';
import * as z from 'zod/mini';
import { StreamgateError } from './errors.js';
import { EVENT_DATA_SCHEMAS, isEventType, type EventData, type EventType } from './events.js';
import { formatIssues } from './issues.js';
import { parseUtf8Json } from './utf8-json.js';

/**
 * CloudEvents 1.0 envelopes and their binary-mode mapping onto Pub/Sub messages (google-cloudevents
 * Pub/Sub binding: each attribute as `ce-<name>`, the data as the message body).
 */

const JSON_CONTENT_TYPE = 'application/json';

export interface StreamgateEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  /** RFC 3339 */
  time: string;
  subject?: string;
  datacontenttype: typeof JSON_CONTENT_TYPE;
  data: EventData<T>;
}

export interface EventContext {
  /** Deterministic ids (see ids.ts) let consumers dedupe on `ce-id`. */
  id: string;
  source: string;
  /** Passed in because the core has no clock. */
  time: string | Date;
  subject?: string;
}

/** Attributes of a binary-mode message. `content-type` repeats the data content type for the binding. */
export interface PubsubEventMessage {
  data: string;
  attributes: Record<string, string>;
}

const ContextSchema = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(512)),
  source: z.string().check(z.minLength(1), z.maxLength(1024)),
  time: z.iso.datetime({ offset: true }),
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});

/**
 * Builds a validated event. Invalid data is a bug in the caller, reported as `INTERNAL`.
 *
 * @example
 *   buildEvent(EVENT_TYPES.launched, data, { id: launchEventId(jobId), source: eventSource(config), time: new Date() })
 */
export function buildEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  context: EventContext,
): StreamgateEvent<T> {
  const time = typeof context.time === 'string' ? context.time : context.time.toISOString();
  const ctx = ContextSchema.safeParse({ ...context, time });
  if (!ctx.success) throw invalid('INTERNAL', `event ${type} context`, ctx.error);
  const parsed = EVENT_DATA_SCHEMAS[type].safeParse(data);
  if (!parsed.success) throw invalid('INTERNAL', `event ${type} data`, parsed.error);
  const event: StreamgateEvent<T> = {
    specversion: '1.0',
    id: ctx.data.id,
    source: ctx.data.source,
    type,
    time: ctx.data.time,
    datacontenttype: JSON_CONTENT_TYPE,
    data: parsed.data as EventData<T>,
  };
  if (ctx.data.subject !== undefined) event.subject = ctx.data.subject;
  return event;
}

/** Binary content mode: `ce-*` attributes, JSON data. */
export function toPubsubMessage(event: StreamgateEvent): PubsubEventMessage {
  const attributes: Record<string, string> = {
    'ce-specversion': event.specversion,
    'ce-id': event.id,
    'ce-type': event.type,
    'ce-source': event.source,
    'ce-time': event.time,
    'ce-datacontenttype': event.datacontenttype,
    'content-type': event.datacontenttype,
  };
  if (event.subject !== undefined) attributes['ce-subject'] = event.subject;
  return { data: JSON.stringify(event.data), attributes };
}

const AttributesSchema = z.looseObject({
  'ce-specversion': z.literal('1.0'),
  'ce-id': z.string().check(z.minLength(1)),
  'ce-type': z.string().check(z.minLength(1)),
  'ce-source': z.string().check(z.minLength(1)),
  'ce-time': z.iso.datetime({ offset: true }),
  'ce-subject': z.optional(z.string().check(z.minLength(1))),
});

/**
 * Reads a binary-mode message back into a validated event (tests, the demo, consumers).
 * Throws `INVALID_ENVELOPE` for malformed messages and `UNSUPPORTED_EVENT` for foreign types.
 */
export function fromPubsubMessage(message: {
  data?: string | Uint8Array | null;
  attributes?: Record<string, string> | null;
}): StreamgateEvent {
  const attrs = AttributesSchema.safeParse(message.attributes ?? {});
  if (!attrs.success) throw invalid('INVALID_ENVELOPE', 'CloudEvent attributes', attrs.error);
  const a = attrs.data;
  const type = a['ce-type'];
  if (!isEventType(type)) {
    throw new StreamgateError('UNSUPPORTED_EVENT', `Event type ${type} is not a streamgate event.`, {
      kind: 'permanent',
      details: { type },
    });
  }
  const contentType = a['content-type'] ?? a['ce-datacontenttype'];
  if (typeof contentType === 'string' && !contentType.startsWith(JSON_CONTENT_TYPE)) {
    throw new StreamgateError('INVALID_ENVELOPE', `Event data content type ${contentType} is not JSON.`, {
      kind: 'permanent',
    });
  }
  const raw = message.data ?? '';
  const json = parseUtf8Json(typeof raw === 'string' ? new TextEncoder().encode(raw) : raw);
  if (json === undefined) {
    throw new StreamgateError('INVALID_ENVELOPE', 'Event data is not UTF-8 JSON.', { kind: 'permanent' });
  }
  const data = EVENT_DATA_SCHEMAS[type].safeParse(json);
  if (!data.success) throw invalid('INVALID_ENVELOPE', `event ${type} data`, data.error);
  const event: StreamgateEvent = {
    specversion: '1.0',
    id: a['ce-id'],
    source: a['ce-source'],
    type,
    time: a['ce-time'],
    datacontenttype: JSON_CONTENT_TYPE,
    data: data.data,
  };
  if (a['ce-subject'] !== undefined) event.subject = a['ce-subject'];
  return event;
}

function invalid(
  code: 'INTERNAL' | 'INVALID_ENVELOPE',
  what: string,
  error: z.core.$ZodError,
): StreamgateError {
  const issues = formatIssues(error.issues);
  return new StreamgateError(code, `Invalid ${what}: ${issues.join('; ')}`, {
    kind: 'permanent',
    cause: error,
    details: { issues },
  });
}
