import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { clampText, clampToSchema, quoteBounded } from '../../../shared/core/bounds.js';
import {
  JobCompletedDataSchema,
  JobLaunchedDataSchema,
  RequestRejectedDataSchema,
} from '../../../shared/core/events.js';
import { LIMITS } from '../../../shared/core/limits.js';

const HUGE = 'x'.repeat(100 * 1024);
const finding = (code: string) => ({ code, message: HUGE });

describe('clampText', () => {
  it('keeps short text and cuts long text to a prefix of the bound', () => {
    expect(clampText('abc', 3)).toBe('abc');
    expect(clampText('abcdef', 4)).toBe('abcd');
    expect(clampText('abc', 0)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    const text = `abc${'😀'.repeat(3)}`; // each emoji is two UTF-16 units
    expect(clampText(text, 4)).toBe('abc');
    expect(clampText(text, 5)).toBe('abc😀');
  });
});

describe('quoteBounded', () => {
  it('quotes short strings as they are and long ones by their start and length', () => {
    expect(quoteBounded('application/vnd.oci.image.manifest.v1+json')).toBe(
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(quoteBounded('a'.repeat(200), 4)).toBe('aaaa… (200 characters)');
    expect(quoteBounded(HUGE).length).toBeLessThan(200);
  });
});

describe('clampToSchema', () => {
  it('follows objects, arrays, records and optional wrappers', () => {
    const schema = z.strictObject({
      name: z.string().check(z.maxLength(3)),
      list: z.array(z.string().check(z.maxLength(2))).check(z.maxLength(2)),
      map: z.record(z.string(), z.string().check(z.maxLength(1))),
      maybe: z.optional(z.string().check(z.maxLength(2))),
      nested: z.nullable(
        z.strictObject({ deep: z.string().check(z.minLength(1), z.maxLength(4), z.regex(/^a+$/)) }),
      ),
    });
    const clamped = clampToSchema(schema, {
      name: 'abcdef',
      list: ['123', '456', '789'],
      map: { k: 'vvv' },
      maybe: 'xyz',
      nested: { deep: 'aaaaaaa' },
    });
    expect(clamped).toEqual({
      name: 'abc',
      list: ['12', '45'],
      map: { k: 'v' },
      maybe: 'xy',
      nested: { deep: 'aaaa' },
    });
    expect(schema.safeParse(clamped).success).toBe(true);
  });

  it('leaves what it cannot fix for validation: patterns, enums, types, unknown keys', () => {
    const schema = z.strictObject({
      id: z.string().check(z.maxLength(5), z.regex(/^[a-z]+$/)),
      n: z.int(),
    });
    const input = { id: 'ABCDEFGH', n: 'seven', extra: 'x'.repeat(10) } as unknown as {
      id: string;
      n: number;
    };
    const clamped = clampToSchema(schema, input);
    expect(clamped).toEqual({ id: 'ABCDE', n: 'seven', extra: 'x'.repeat(10) });
    expect(schema.safeParse(clamped).success).toBe(false);
  });

  it('keeps a __proto__ key as data and does not change the input', () => {
    const input = JSON.parse('{"m":{"__proto__":"abcdef"}}') as { m: Record<string, string> };
    const clamped = clampToSchema(
      z.object({ m: z.record(z.string(), z.string().check(z.maxLength(2))) }),
      input,
    );
    expect(Object.getOwnPropertyDescriptor(clamped.m, '__proto__')?.value).toBe('ab');
    expect(input.m['__proto__']).toBe('abcdef');
  });

  it('makes a job.launched with 100 KiB manifest and request strings valid', () => {
    const data = {
      jobName: 'projects/p/locations/us-central1/jobs/sg-x',
      jobUid: HUGE,
      jobId: 'sg-x',
      region: HUGE,
      image: { reference: HUGE, uri: HUGE },
      streaming: {
        enabled: false,
        mode: 'auto' as const,
        verdict: 'ineligible' as const,
        reasons: Array.from({ length: 100 }, (_, i) => finding(`CODE_${i}`)),
        warnings: [finding('MEDIATYPE_MISMATCH')],
      },
      source: 'push' as const,
      idempotencyKey: HUGE,
      correlationId: HUGE,
      created: true,
      rule: HUGE,
    };
    expect(JobLaunchedDataSchema.safeParse(data).success).toBe(false);
    const clamped = clampToSchema(JobLaunchedDataSchema, data);
    expect(JobLaunchedDataSchema.safeParse(clamped).success).toBe(true);
    expect(clamped.correlationId).toBe(HUGE.slice(0, LIMITS.correlationIdLength));
    expect(clamped.streaming.reasons).toHaveLength(64);
    expect(clamped.streaming.reasons[0]?.message).toHaveLength(2048);
  });

  it('makes request.rejected and job.completed with over-long strings valid', () => {
    const rejected = {
      reasons: [finding('INVALID_REQUEST')],
      source: 'pubsub' as const,
      correlationId: HUGE,
      idempotencyKey: HUGE,
      request: { image: HUGE, environmentNames: [HUGE], labels: { team: HUGE } },
    };
    expect(
      RequestRejectedDataSchema.safeParse(clampToSchema(RequestRejectedDataSchema, rejected)).success,
    ).toBe(true);
    const completed = {
      jobName: 'projects/p/locations/us-central1/jobs/sg-x',
      jobUid: HUGE,
      region: 'r'.repeat(64),
      state: 'SUCCEEDED' as const,
      tasks: { total: 1, counts: { SUCCEEDED: 1 } },
      failedTasks: Array.from({ length: 1500 }, () => ({ task: HUGE, exitCode: 1 })),
      streaming: { enabled: true },
      image: HUGE,
      correlationId: HUGE,
      source: HUGE,
    };
    const clamped = clampToSchema(JobCompletedDataSchema, completed);
    expect(JobCompletedDataSchema.safeParse(clamped).success).toBe(true);
    expect(clamped.failedTasks).toHaveLength(1000);
  });
});
