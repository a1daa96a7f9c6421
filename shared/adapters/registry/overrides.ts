/**
 * STREAMGATE_REGISTRY_OVERRIDES: send requests for a registry host to another base URL (the local
 * stand-in, a test registry). Without an override a registry is reached at `https://<host[:port]>`.
 */
import '../../core/zod-locale.js';
import * as z from 'zod/mini';
import { StreamgateError } from '../../core/errors.js';
import { readEnv } from '../env.js';

/** Registry authority (`host[:port]`, lower case) → base URL without a trailing slash. */
export type RegistryOverrides = ReadonlyMap<string, string>;

const AuthoritySchema = z
  .string()
  .check(z.regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/, 'expected host or host:port'));
const BaseUrlSchema = z.string().check(
  z.refine((text) => {
    // URL.canParse is not in every Node 20 release, so parse and catch.
    try {
      return /^https?:$/.test(new URL(text).protocol);
    } catch {
      return false;
    }
  }, 'expected an http or https URL'),
);

/**
 * Parses `host=url,host2=url2`. Whitespace around items is ignored; a malformed item is a
 * permanent CONFIG_INVALID error (a typo must not silently send traffic to the real registry).
 *
 * @example
 *   parseRegistryOverrides('us-central1-docker.pkg.dev=http://127.0.0.1:5001')
 *   // Map { 'us-central1-docker.pkg.dev' => 'http://127.0.0.1:5001' }
 */
export function parseRegistryOverrides(text: string | undefined): RegistryOverrides {
  const map = new Map<string, string>();
  if (text === undefined) return map;
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const host = AuthoritySchema.safeParse(trimmed.slice(0, Math.max(0, eq)).trim().toLowerCase());
    const url = BaseUrlSchema.safeParse(eq < 0 ? '' : trimmed.slice(eq + 1).trim());
    if (eq < 0 || !host.success || !url.success) {
      throw new StreamgateError(
        'CONFIG_INVALID',
        `STREAMGATE_REGISTRY_OVERRIDES item "${trimmed}" is not host=url.`,
        {
          kind: 'permanent',
          details: { item: trimmed },
        },
      );
    }
    map.set(host.data, url.data.replace(/\/+$/, ''));
  }
  return map;
}

/** Reads and parses STREAMGATE_REGISTRY_OVERRIDES from the environment. */
export function registryOverridesFromEnv(env?: NodeJS.ProcessEnv): RegistryOverrides {
  return parseRegistryOverrides(readEnv('STREAMGATE_REGISTRY_OVERRIDES', env));
}

/** The base URL for a registry authority: its override, else `https://<authority>`. */
export function registryBaseUrl(authority: string, overrides: RegistryOverrides): string {
  const key = authority.toLowerCase();
  return overrides.get(key) ?? `https://${key}`;
}
