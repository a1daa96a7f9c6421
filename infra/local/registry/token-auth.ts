/**
 * Token auth of the registry stand-in, shaped like Artifact Registry's: `/v2/token` swaps Basic
 * `oauth2accesstoken:<access token>` for a short-lived bearer token limited to the scopes asked.
 */
import { randomBytes } from 'node:crypto';

export interface AuthOptions {
  /** The only access token `/v2/token` accepts as the Basic password. */
  accessToken: string;
  /** `expires_in` of issued tokens. Default 300 s. */
  tokenLifetimeSeconds?: number;
}

interface Grant {
  /** repository name → allowed actions */
  access: Map<string, Set<string>>;
  expiresAt: number;
}

/** Issues and checks bearer tokens. */
export class TokenAuthority {
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly options: AuthOptions,
    private readonly service: string,
  ) {}

  /** Answers a token request, or undefined when the credentials are wrong or missing. */
  issue(
    authorization: string | undefined,
    scopes: string[],
  ): { token: string; access_token: string; expires_in: number; issued_at: string } | undefined {
    if (!authorization?.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    if (decoded !== `oauth2accesstoken:${this.options.accessToken}`) return undefined;
    const access = new Map<string, Set<string>>();
    for (const scope of scopes) {
      const match = /^repository:([^:]+):([a-z,*]+)$/.exec(scope);
      if (!match?.[1] || !match[2]) continue;
      const actions = access.get(match[1]) ?? new Set<string>();
      for (const action of match[2].split(',')) actions.add(action);
      access.set(match[1], actions);
    }
    const lifetime = this.options.tokenLifetimeSeconds ?? 300;
    const token = randomBytes(24).toString('base64url');
    this.grants.set(token, { access, expiresAt: Date.now() + lifetime * 1000 });
    if (this.grants.size > 10_000) this.dropExpired();
    return { token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() };
  }

  /** True when the bearer token is live and (for a repository) grants `action` on it. */
  allows(authorization: string | undefined, name?: string, action?: 'pull' | 'push' | 'delete'): boolean {
    if (!authorization?.startsWith('Bearer ')) return false;
    const grant = this.grants.get(authorization.slice(7).trim());
    if (!grant || grant.expiresAt <= Date.now()) return false;
    if (name === undefined || action === undefined) return true;
    const actions = grant.access.get(name);
    return actions !== undefined && (actions.has(action) || actions.has('*'));
  }

  /** The service name this authority issues tokens for. */
  get serviceName(): string {
    return this.service;
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [token, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(token);
  }
}
