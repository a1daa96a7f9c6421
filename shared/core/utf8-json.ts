/**
 * Reads bytes as strict UTF-8 JSON: the one decoder for message data, push bodies and webhook
 * bodies. Invalid UTF-8 is refused rather than replaced, so a body is never judged on text it did
 * not hold.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON value the bytes hold, or undefined when they are empty, not UTF-8 or not JSON (the
 * caller rejects with its own reason code).
 *
 * @example
 *   parseUtf8Json(Buffer.from('{"a":1}')) // { a: 1 }
 *   parseUtf8Json(Uint8Array.of(0xff))    // undefined
 */
export function parseUtf8Json(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(strictUtf8.decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}
