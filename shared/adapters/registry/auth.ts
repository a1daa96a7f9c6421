/**
 * Registry token auth (Distribution "token" spec, as Artifact Registry does it): parse the
 * `WWW-Authenticate: Bearer …` challenge, swap a Google access token for a registry token at the
 * realm (Basic `oauth2accesstoken:<access token>`), and cache it per scope until it expires. The
 * access token is only ever shown to Google's registries (or our own overrides) at their own origin.
 */
import '../../core/zod-locale.js';
import * as z from 'zod/mini';
import { StreamgateError } from '../../core/errors.js';
import { memoizePromise } from '../memoize.js';
import type { Clock } from '../../core/ports.js';
import { ExpiringMap } from '../expiring-map.js';

/** What a `Bearer` challenge asks for. */
export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/**
 * Reads the Bearer challenge out of a `WWW-Authenticate` header (which may also carry other
 * schemes). Returns undefined when there is no usable Bearer challenge.
 *
 * @example
 *   parseBearerChallenge('Bearer realm="https://r/v2/token",service="r",scope="repository:p/i:pull"')
 *   // { realm: 'https://r/v2/token', service: 'r', scope: 'repository:p/i:pull' }
 */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const start = header.search(/(^|[\s,])Bearer\s+/i);
  if (start < 0) return undefined;
  const params = parseAuthParams(header.slice(start).replace(/^[\s,]*Bearer\s+/i, ''));
  const realm = params.get('realm');
  if (!realm) return undefined;
  const challenge: BearerChallenge = { realm };
  const service = params.get('service');
  const scope = params.get('scope');
  if (service !== undefined) challenge.service = service;
  if (scope !== undefined) challenge.scope = scope;
  return challenge;
}

/** `key=value` / `key="quoted, value"` pairs, stopping at the next scheme name. */
function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const pair = /\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;
  let position = 0;
  // Each step consumes at least one character, so the loop ends; the bound is a safety net.
  for (let guard = 0; position < text.length && guard < 64; guard++) {
    pair.lastIndex = position;
    const match = pair.exec(text);
    if (!match || match[0].length === 0) break;
    const key = (match[1] ?? '').toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    if (!params.has(key)) params.set(key, value);
    position = pair.lastIndex;
  }
  return params;
}

/** Gives a Google OAuth access token, or undefined when there are no credentials (go anonymous). */
export type AccessTokenSource = () => Promise<string | undefined>;

/**
 * The default source: Application Default Credentials via google-auth-library, loaded and created
 * on first use so that functions that never talk to a registry do not pay for it at cold start.
 */
export function googleAccessTokenSource(): AccessTokenSource {
  const auth = memoizePromise(() =>
    import('google-auth-library').then(
      ({ GoogleAuth }) => new GoogleAuth({ scopes: 'https://www.googleapis.com/auth/cloud-platform' }),
    ),
  );
  return async () => {
    try {
      const token = await (await auth()).getAccessToken();
      return token ?? undefined;
    } catch (error) {
      if (error instanceof Error && /could not load the default credentials/i.test(error.message))
        return undefined;
      throw new StreamgateError(
        'MANIFEST_UNAVAILABLE',
        'Could not get a Google access token for the registry.',
        {
          kind: 'transient',
          cause: error,
        },
      );
    }
  };
}

/** The token endpoint's answer (token spec: `token` and/or `access_token`, `expires_in` seconds). */
export const TokenResponseSchema = z
  .object({
    token: z.optional(z.string().check(z.minLength(1))),
    access_token: z.optional(z.string().check(z.minLength(1))),
    expires_in: z.optional(z.number().check(z.positive())),
    issued_at: z.optional(z.string()),
  })
  .check(
    z.refine((v) => v.token !== undefined || v.access_token !== undefined, {
      message: 'token or access_token is required',
    }),
  );

export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Registry tokens by realm, service and scope; each entry lives until its expiry minus a margin. */
export class TokenCache {
  private readonly entries: ExpiringMap<string, string>;

  constructor(
    clock: Clock,
    private readonly marginMs = 10_000,
    maxEntries = 256,
  ) {
    this.entries = new ExpiringMap(clock, maxEntries);
  }

  static key(challenge: BearerChallenge): string {
    return `${challenge.realm}\n${challenge.service ?? ''}\n${challenge.scope ?? ''}`;
  }

  get(challenge: BearerChallenge): string | undefined {
    return this.entries.get(TokenCache.key(challenge));
  }

  /** Stores a token for `lifetimeSeconds`, less the margin (but never less than zero). */
  set(challenge: BearerChallenge, token: string, lifetimeSeconds: number): void {
    const lifetimeMs = lifetimeSeconds * 1000;
    const usable = Math.max(0, lifetimeMs - Math.min(this.marginMs, lifetimeMs / 2));
    this.entries.set(TokenCache.key(challenge), token, usable);
  }

  delete(challenge: BearerChallenge): void {
    this.entries.delete(TokenCache.key(challenge));
  }
}

/** The URL to GET for a token: realm plus `service` and `scope` query parameters. */
export function tokenUrl(challenge: BearerChallenge): string {
  const url = new URL(challenge.realm);
  if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
  if (challenge.scope !== undefined) url.searchParams.set('scope', challenge.scope);
  return url.toString();
}

/**
 * True for the hosts of Google's own registries: Artifact Registry (`LOCATION-docker.pkg.dev`) and
 * Container Registry (`gcr.io`, `*.gcr.io`), on the default HTTPS port. Look-alikes such as
 * `us-docker.pkg.dev.example.com` are not.
 *
 * @example
 *   isGoogleRegistryAuthority('europe-west4-docker.pkg.dev') // true
 *   isGoogleRegistryAuthority('registry-1.docker.io')        // false
 */
export function isGoogleRegistryAuthority(authority: string): boolean {
  let url: URL;
  try {
    url = new URL(`https://${authority}`);
  } catch {
    return false;
  }
  if (url.port !== '' || url.username !== '' || url.password !== '') return false;
  const host = url.hostname.toLowerCase();
  return (
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-docker\.pkg\.dev$/.test(host) || /^(?:[a-z0-9-]+\.)?gcr\.io$/.test(host)
  );
}

/** What decides whether a token realm may receive our Google access token. */
export interface CredentialScope {
  /** Registry authority (`host[:port]`) the request was for. */
  authority: string;
  /** Base URL the registry request went to (the override, or `https://<authority>`). */
  registryBaseUrl: string;
  /** True when STREAMGATE_REGISTRY_OVERRIDES maps the authority (a local stand-in we chose). */
  overridden: boolean;
  /** The realm the registry's challenge named. */
  realm: string;
}

/**
 * Whether the Google access token may be presented at a challenge's token realm. Both must hold:
 * the registry is Google's (or one we mapped ourselves with an override), and the realm is on the
 * very origin we sent the registry request to. A registry names its realm freely, so without the
 * origin check any registry could have our token sent wherever it likes.
 *
 * @example
 *   mayPresentGoogleCredentials({ authority: 'us-docker.pkg.dev', registryBaseUrl: 'https://us-docker.pkg.dev',
 *     overridden: false, realm: 'https://us-docker.pkg.dev/v2/token' }) // true
 *   mayPresentGoogleCredentials({ authority: 'docker.io', registryBaseUrl: 'https://docker.io',
 *     overridden: false, realm: 'https://auth.docker.io/token' })     // false
 */
export function mayPresentGoogleCredentials(scope: CredentialScope): boolean {
  if (!scope.overridden && !isGoogleRegistryAuthority(scope.authority)) return false;
  const realm = originOf(scope.realm);
  return realm !== undefined && realm === originOf(scope.registryBaseUrl);
}

function originOf(text: string): string | undefined {
  try {
    const url = new URL(text);
    return /^https?:$/.test(url.protocol) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Basic credentials Artifact Registry accepts for an OAuth access token. */
export function oauthBasicAuthorization(accessToken: string): string {
  return 'Basic ' + Buffer.from(`oauth2accesstoken:${accessToken}`).toString('base64');
}
