import './zod-locale.js';
import * as z from 'zod/mini';

/**
 * The trace a request or a Pub/Sub message belongs to, read from the headers and attributes that
 * carry it, so that every log line of one request groups under one trace in Cloud Logging
 * (`logging.googleapis.com/trace`). Each source is parsed with zod and bounded; a value that does
 * not parse is ignored (a request is never refused for its trace headers).
 *
 * - HTTP: `traceparent` (W3C Trace Context), else `X-Cloud-Trace-Context`
 *   (`TRACE_ID[/SPAN_ID][;o=OPTIONS]`, the span id in decimal).
 * - Pub/Sub: `googclient_traceparent` (a W3C traceparent, what @google-cloud/pubsub 4.5+ writes
 *   with OpenTelemetry on), else `googclient_OpenTelemetrySpanContext` (the JSON span context
 *   older versions wrote).
 */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId?: string;
  sampled?: boolean;
}

/** The header names that carry a trace on HTTP, most specific first. */
const TRACE_HEADERS = ['traceparent', 'x-cloud-trace-context'] as const;

/** The Pub/Sub attributes that carry a trace, most specific first. */
export const TRACE_ATTRIBUTES = ['googclient_traceparent', 'googclient_OpenTelemetrySpanContext'] as const;

/** Longer values are ignored unread: no trace header is anywhere near this long. */
const MAX_TRACE_TEXT = 512;
const TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;

/**
 * Whether a trimmed, lower-cased `version-traceid-parentid-flags` can be read: a future version may
 * append fields after a `-`, version 00 may not, ff is invalid, and the ids are not all zero.
 */
function readableTraceparent(text: string): boolean {
  if (!/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/.test(text)) return false;
  const [version = '', traceId = '', spanId = '', , ...rest] = text.split('-');
  const knownShape = version !== 'ff' && (version !== '00' || rest.length === 0);
  return knownShape && TRACE_ID.test(traceId) && SPAN_ID.test(spanId);
}

/** `version-traceid-parentid-flags` (W3C Trace Context). */
const TraceparentSchema = z.pipe(
  z.pipe(
    z.string().check(z.maxLength(MAX_TRACE_TEXT)),
    z.transform((text) => text.trim().toLowerCase()),
  ),
  z.pipe(
    z.string().check(z.refine(readableTraceparent)),
    z.transform((text): TraceContext => {
      const [, traceId = '', spanId = '', flags = '00'] = text.split('-');
      return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
    }),
  ),
);

/** `TRACE_ID[/SPAN_ID][;o=OPTIONS]`: the span id is a decimal uint64, OPTIONS bit 0 is "sampled". */
const CloudTraceContextSchema = z.pipe(
  z
    .pipe(
      z.string().check(z.maxLength(MAX_TRACE_TEXT)),
      z.transform((text) => /^([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=(\d{1,3}))?$/.exec(text.trim())),
    )
    .check(z.refine((match) => match !== null && TRACE_ID.test((match[1] ?? '').toLowerCase()))),
  z.transform((match): TraceContext => {
    const [, traceId = '', span, options] = match ?? [];
    const spanId = span === undefined ? undefined : decimalSpanToHex(span);
    return {
      traceId: traceId.toLowerCase(),
      ...(spanId ? { spanId } : {}),
      ...(options !== undefined ? { sampled: (Number(options) & 1) === 1 } : {}),
    };
  }),
);

/** The JSON `{traceId, spanId, traceFlags}` of `googclient_OpenTelemetrySpanContext`. */
const SpanContextJsonSchema = z.pipe(
  z.pipe(
    z.pipe(
      z.string().check(z.maxLength(MAX_TRACE_TEXT)),
      z.transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          // zod/mini's transform context has no addIssue: push the issue it would have added.
          ctx.issues.push({ code: 'custom', message: 'not JSON', input: text });
          return z.NEVER;
        }
      }),
    ),
    z.looseObject({
      traceId: z.string().check(z.regex(TRACE_ID)),
      spanId: z.string().check(z.regex(SPAN_ID)),
      traceFlags: z.optional(z.int().check(z.minimum(0), z.maximum(255))),
    }),
  ),
  z.transform(({ traceId, spanId, traceFlags }): TraceContext => ({
    traceId,
    spanId,
    ...(traceFlags !== undefined ? { sampled: (traceFlags & 1) === 1 } : {}),
  })),
);

/** A decimal uint64 span id as 16 hex digits; undefined for 0 or out of range. */
function decimalSpanToHex(decimal: string): string | undefined {
  const value = BigInt(decimal);
  if (value === 0n || value >= 1n << 64n) return undefined;
  return value.toString(16).padStart(16, '0');
}

/**
 * The trace of an HTTP request: `traceparent` when it parses, else `X-Cloud-Trace-Context`.
 *
 * @example
 *   traceFromHeaders((name) => req.get(name))
 *   // { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true }
 */
export function traceFromHeaders(header: (name: string) => string | undefined): TraceContext | undefined {
  const [traceparent, cloud] = TRACE_HEADERS.map(header);
  return parsed(TraceparentSchema, traceparent) ?? parsed(CloudTraceContextSchema, cloud);
}

/** The trace a Pub/Sub message carries in its attributes, when it carries one that parses. */
export function traceFromAttributes(attributes: Readonly<Record<string, string>>): TraceContext | undefined {
  const [modern, legacy] = TRACE_ATTRIBUTES.map((name) =>
    Object.hasOwn(attributes, name) ? attributes[name] : undefined,
  );
  return parsed(TraceparentSchema, modern) ?? parsed(SpanContextJsonSchema, legacy);
}

function parsed(
  schema: z.ZodMiniType<TraceContext, string>,
  value: string | undefined,
): TraceContext | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}
