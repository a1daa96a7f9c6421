/**
 * One line saying why an image could not be read, in the registry's own words where it gave any
 * (`404 MANIFEST_UNKNOWN: manifest unknown`), for `streamgate: cannot read REF: …` on stderr.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { isStreamgateError } from '../shared/core/errors.js';
import { MANIFEST_ACCEPT } from '../shared/core/media-types.js';
import { fetchWithLimits, type HttpFetch } from '../shared/adapters/registry/http.js';

/** The Distribution API error body: `{"errors":[{"code","message","detail"?}]}`. */
const RegistryErrorsSchema = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional() })).min(1),
});

const FailureDetailsSchema = z.object({
  url: z.string().optional(),
  status: z.number().int().optional(),
  answer: z.string().optional(),
});

const MAX_LINE = 400;
const FOLLOW_UP_TIMEOUT_MS = 2_000;

/**
 * Describes a failed image read. A `404` to a `HEAD` has no body, so the registry's reason is asked
 * for once more with an anonymous `GET` (no credentials, 2 s, 64 KiB at most).
 *
 * @example
 *   await describeReadFailure(error) // '404 MANIFEST_UNKNOWN: manifest unknown'
 */
export async function describeReadFailure(
  error: unknown,
  send: HttpFetch = fetchWithLimits,
): Promise<string> {
  if (!isStreamgateError(error)) return oneLine(error instanceof Error ? error.message : String(error));
  const details = FailureDetailsSchema.safeParse(error.details ?? {});
  const { url, status, answer } = details.success ? details.data : {};
  if (status === undefined) return oneLine(`${error.message} (${error.code})`);
  let text = answer?.trim() ?? '';
  if (text === '' && status === 404 && url !== undefined) text = await askAgain(url, send);
  return oneLine(`${status} ${registryWords(text) ?? (text || STATUS_CODES[status] || error.code)}`);
}

async function askAgain(url: string, send: HttpFetch): Promise<string> {
  try {
    const response = await send({
      method: 'GET',
      url,
      headers: { Accept: MANIFEST_ACCEPT },
      timeoutMs: FOLLOW_UP_TIMEOUT_MS,
      maxBodyBytes: 64 * 1024,
    });
    return response.status === 404 ? response.body.toString('utf8').trim() : '';
  } catch {
    return '';
  }
}

/** `CODE: message; CODE2: message2` from a registry error body, or undefined when it is not one. */
function registryWords(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = RegistryErrorsSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return parsed.data.errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE)}…` : flat;
}
