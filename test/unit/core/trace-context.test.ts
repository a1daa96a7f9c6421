import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { traceLogFields } from '../../../shared/core/log-lines.js';
import { traceFromAttributes, traceFromHeaders } from '../../../shared/core/trace-context.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('traceFromHeaders', () => {
  it('reads a W3C traceparent, with its sampled flag', () => {
    expect(traceFromHeaders(headers({ traceparent: `00-${TRACE}-${SPAN}-01` }))).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
    expect(traceFromHeaders(headers({ traceparent: `00-${TRACE.toUpperCase()}-${SPAN}-00` }))).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: false,
    });
  });

  it('accepts a future version with more fields, and refuses them on version 00 and version ff', () => {
    expect(traceFromHeaders(headers({ traceparent: `01-${TRACE}-${SPAN}-01-extra` }))?.traceId).toBe(TRACE);
    expect(traceFromHeaders(headers({ traceparent: `00-${TRACE}-${SPAN}-01-extra` }))).toBeUndefined();
    expect(traceFromHeaders(headers({ traceparent: `ff-${TRACE}-${SPAN}-01` }))).toBeUndefined();
  });

  it('reads X-Cloud-Trace-Context when there is no usable traceparent; the decimal span becomes hex', () => {
    const cloud = { 'x-cloud-trace-context': `${TRACE}/13221386019054482225;o=1` };
    expect(traceFromHeaders(headers(cloud))).toEqual({
      traceId: TRACE,
      spanId: BigInt('13221386019054482225').toString(16).padStart(16, '0'),
      sampled: true,
    });
    expect(traceFromHeaders(headers({ ...cloud, traceparent: 'garbage' }))?.traceId).toBe(TRACE);
    expect(traceFromHeaders(headers({ 'x-cloud-trace-context': TRACE }))).toEqual({ traceId: TRACE });
    // A zero span and one past uint64 are left out; the trace still counts.
    expect(traceFromHeaders(headers({ 'x-cloud-trace-context': `${TRACE}/0;o=0` }))).toEqual({
      traceId: TRACE,
      sampled: false,
    });
    expect(traceFromHeaders(headers({ 'x-cloud-trace-context': `${TRACE}/99999999999999999999` }))).toEqual({
      traceId: TRACE,
    });
  });

  it('ignores bad values: all-zero ids, wrong lengths, non-hex, and anything over 512 characters', () => {
    for (const traceparent of [
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00-${TRACE.replace('a', 'g')}-${SPAN}-01`,
      `01-${TRACE}-${SPAN}-01-${'x'.repeat(600)}`,
      '',
    ]) {
      expect(traceFromHeaders(headers({ traceparent })), traceparent.slice(0, 80)).toBeUndefined();
    }
    for (const cloud of [`${'0'.repeat(32)}/1`, `${TRACE}x`, `${TRACE}/abc`, `${TRACE};o=`, ' ']) {
      expect(traceFromHeaders(headers({ 'x-cloud-trace-context': cloud })), cloud).toBeUndefined();
    }
  });

  it('never throws, whatever the headers hold', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 700 }), fc.string({ maxLength: 700 }), (a, b) => {
        const trace = traceFromHeaders(headers({ traceparent: a, 'x-cloud-trace-context': b }));
        if (trace) expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
      }),
    );
  });
});

describe('traceFromAttributes', () => {
  it('reads googclient_traceparent (what @google-cloud/pubsub writes with OpenTelemetry on)', () => {
    expect(traceFromAttributes({ googclient_traceparent: `00-${TRACE}-${SPAN}-01` })).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
  });

  it('reads the legacy googclient_OpenTelemetrySpanContext JSON', () => {
    const legacy = JSON.stringify({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    expect(traceFromAttributes({ googclient_OpenTelemetrySpanContext: legacy })).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
  });

  it('ignores other attributes and bad values', () => {
    expect(traceFromAttributes({ traceparent: `00-${TRACE}-${SPAN}-01` })).toBeUndefined();
    expect(traceFromAttributes({ googclient_traceparent: 'nope' })).toBeUndefined();
    expect(traceFromAttributes({ googclient_OpenTelemetrySpanContext: '{"traceId":1}' })).toBeUndefined();
    expect(traceFromAttributes({ googclient_OpenTelemetrySpanContext: '{' })).toBeUndefined();
    expect(traceFromAttributes({})).toBeUndefined();
  });
});

describe('traceLogFields', () => {
  it('names the trace in the project, with span and sampling, and is empty without a trace', () => {
    expect(traceLogFields({ traceId: TRACE, spanId: SPAN, sampled: true }, 'demo-project')).toEqual({
      'logging.googleapis.com/trace': `projects/demo-project/traces/${TRACE}`,
      'logging.googleapis.com/spanId': SPAN,
      'logging.googleapis.com/trace_sampled': true,
    });
    expect(traceLogFields(undefined, 'demo-project')).toEqual({});
  });
});
