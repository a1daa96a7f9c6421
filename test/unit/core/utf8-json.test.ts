import { describe, expect, it } from 'vitest';
import { parseUtf8Json } from '../../../shared/core/utf8-json.js';

describe('parseUtf8Json', () => {
  it('reads UTF-8 JSON of any kind', () => {
    expect(parseUtf8Json(Buffer.from('{"image":"é"}'))).toEqual({ image: 'é' });
    expect(parseUtf8Json(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(parseUtf8Json(Buffer.from('null'))).toBeNull();
  });

  it('gives undefined for empty, non-JSON and non-UTF-8 bytes instead of replacing them', () => {
    expect(parseUtf8Json(new Uint8Array())).toBeUndefined();
    expect(parseUtf8Json(Buffer.from('{"a":'))).toBeUndefined();
    // "é" in Latin-1: a lenient decoder would read '{"a":"\uFFFD"}' and parse it.
    expect(
      parseUtf8Json(Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d])),
    ).toBeUndefined();
  });
});
