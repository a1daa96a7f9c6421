import { describe, expect, it } from 'vitest';
import {
  codesLabel,
  LABEL_VALUE_PATTERN,
  readCodesLabel,
  readStreamgateLabels,
  streamgateLabels,
} from '../../../shared/core/labels.js';
import { ELIGIBILITY_REASONS, WARNING_CODES } from '../../../shared/core/reason-codes.js';

describe('codesLabel', () => {
  it('round-trips any short list of codes through one label value', () => {
    const codes = ['LOCATION_MISMATCH', 'API_DISABLED'];
    expect(codesLabel(codes)).toBe('location_mismatch-api_disabled');
    expect(readCodesLabel(codesLabel(codes))).toEqual({ codes, complete: true });
    expect(readCodesLabel(codesLabel([]))).toEqual({ codes: [], complete: true });
  });

  it('keeps the codes that fit in 63 characters and says the list is incomplete', () => {
    for (const all of [[...ELIGIBILITY_REASONS], [...WARNING_CODES]]) {
      const value = codesLabel(all);
      expect(value).toMatch(LABEL_VALUE_PATTERN);
      const read = readCodesLabel(value);
      expect(read.complete).toBe(false);
      expect(read.codes.length).toBeGreaterThan(0);
      expect(all.slice(0, read.codes.length)).toEqual(read.codes);
    }
  });
});

describe('streamgateLabels and readStreamgateLabels', () => {
  it('read back what was written', () => {
    const labels = streamgateLabels({
      idempotencyKey: 'k',
      source: 'pubsub',
      correlationId: 'c-1',
      streaming: false,
      fingerprint: 'abcdefghijklmnopqrst',
      mode: 'off',
      verdict: 'eligible',
      reasons: [],
      warnings: ['ZSTD_LAYERS'],
    });
    for (const value of Object.values(labels)) expect(value).toMatch(LABEL_VALUE_PATTERN);
    expect(readStreamgateLabels(labels)).toEqual({
      managed: true,
      keyHash: labels['streamgate-key'],
      source: 'pubsub',
      correlation: 'c-1',
      streaming: false,
      fingerprint: 'abcdefghijklmnopqrst',
      mode: 'off',
      verdict: 'eligible',
      reasons: { codes: [], complete: true },
      warnings: { codes: ['ZSTD_LAYERS'], complete: true },
    });
  });

  it('reports foreign jobs as unmanaged with nothing else', () => {
    expect(readStreamgateLabels({ team: 'x' })).toEqual({ managed: false });
    expect(readStreamgateLabels(undefined)).toEqual({ managed: false });
  });
});
