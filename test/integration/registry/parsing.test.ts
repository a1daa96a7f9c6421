import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBearerChallenge, TokenCache } from '../../../shared/adapters/registry/auth.js';
import {
  parseRegistryOverrides,
  registryBaseUrl,
  registryOverridesFromEnv,
} from '../../../shared/adapters/registry/overrides.js';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retrying,
} from '../../../shared/adapters/retry.js';

describe('WWW-Authenticate Bearer challenges', () => {
  it('reads realm, service and a scope with commas inside quotes', () => {
    expect(
      parseBearerChallenge(
        'Bearer realm="https://us-docker.pkg.dev/v2/token",service="us-docker.pkg.dev",scope="repository:p/r/i:push,pull"',
      ),
    ).toEqual({
      realm: 'https://us-docker.pkg.dev/v2/token',
      service: 'us-docker.pkg.dev',
      scope: 'repository:p/r/i:push,pull',
    });
  });

  it('finds Bearer after another scheme, and ignores Basic-only or realm-less challenges', () => {
    expect(parseBearerChallenge('Basic realm="x", Bearer realm="https://r/t"')).toEqual({
      realm: 'https://r/t',
    });
    expect(parseBearerChallenge('Basic realm="registry"')).toBeUndefined();
    expect(parseBearerChallenge('Bearer service="s"')).toBeUndefined();
    expect(parseBearerChallenge(null)).toBeUndefined();
  });

  it('never throws on arbitrary header text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseBearerChallenge(text);
        expect(parsed === undefined || typeof parsed.realm === 'string').toBe(true);
      }),
    );
  });
});

describe('TokenCache', () => {
  it('keeps a token until expires_in minus the margin, per scope', () => {
    let now = 0;
    const cache = new TokenCache({ now: () => new Date(now) }, 10_000);
    const pull = { realm: 'https://r/t', service: 's', scope: 'repository:a:pull' };
    cache.set(pull, 'T', 60);
    expect(cache.get({ ...pull, scope: 'repository:b:pull' })).toBeUndefined();
    now = 49_999;
    expect(cache.get(pull)).toBe('T');
    now = 50_000;
    expect(cache.get(pull)).toBeUndefined();
  });
});

describe('Retry-After and backoff', () => {
  it('parses delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('full jitter stays within [0, min(max, base*2^(n-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(DEFAULT_RETRY_POLICY, n, undefined, () => r);
          const ceiling = Math.min(
            DEFAULT_RETRY_POLICY.maxDelayMs,
            DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (n - 1),
          );
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('caps Retry-After at maxRetryAfterMs', () => {
    expect(backoffDelay({ ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 1_000 }, 1, 60_000, () => 0)).toBe(1_000);
  });

  it('stops after the configured attempts', async () => {
    let calls = 0;
    const result = await retrying(
      { ...DEFAULT_RETRY_POLICY, attempts: 3 },
      { sleep: async () => undefined, random: () => 0 },
      async () => {
        calls++;
        return { kind: 'retry', last: calls };
      },
    );
    expect(result).toEqual({ value: 3, attempts: 3, exhausted: true });
  });
});

describe('STREAMGATE_REGISTRY_OVERRIDES', () => {
  it('maps hosts (with optional port) to base URLs', () => {
    const map = parseRegistryOverrides(
      ' us-central1-docker.pkg.dev=http://127.0.0.1:5001/ , Gcr.io=http://127.0.0.1:5002',
    );
    expect([...map]).toEqual([
      ['us-central1-docker.pkg.dev', 'http://127.0.0.1:5001'],
      ['gcr.io', 'http://127.0.0.1:5002'],
    ]);
    expect(registryBaseUrl('US-CENTRAL1-DOCKER.PKG.DEV', map)).toBe('http://127.0.0.1:5001');
    expect(registryBaseUrl('localhost:5000', map)).toBe('https://localhost:5000');
  });

  it('reads the variable through readEnv and treats empty as unset', () => {
    expect(registryOverridesFromEnv({ STREAMGATE_REGISTRY_OVERRIDES: 'a.b=http://x:1' }).get('a.b')).toBe(
      'http://x:1',
    );
    expect(registryOverridesFromEnv({ STREAMGATE_REGISTRY_OVERRIDES: '' }).size).toBe(0);
  });

  it('rejects malformed items instead of silently using the real registry', () => {
    for (const bad of ['no-equals', 'host=ftp://x', '=http://x', 'bad host=http://x']) {
      expect(() => parseRegistryOverrides(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});
