/**
 * Fuzzes the `webhook` HTTP function: random methods, paths, content types, signatures (good,
 * missing, wrong key, stale, junk), Idempotency-Keys and bodies (valid, invalid by construction,
 * mutated, junk bytes). No 5xx; every error is a problem+json with a known `code`; Batch is only
 * touched by a correctly signed, valid request (or a signed status lookup), and only /jobs creates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobIdFor } from '../../shared/core/ids.js';
import { JobRequestV1Schema } from '../../shared/core/request.js';
import {
  signatureHeader,
  signedRequestKey,
  type SignedRequest,
} from '../../shared/core/webhook-signature.js';
import { matchRoute } from '../../functions/webhook-routes.js';
import { OLD_SECRET, SECRET } from '../helpers/stack-harness.js';
import {
  invalidJobRequest,
  junkBytes,
  mutated,
  nastyString,
  validJobRequest,
  type Json,
} from './arbitraries.js';
import { expectNoServerError, headerValue, KNOWN_CODES, observe, useFuzzStack } from './function-fuzz.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';

type Signing = 'valid' | 'old-key' | 'none' | 'wrong-key' | 'stale' | 'junk' | 'v1-only' | 'other-route';
type BodyClass = 'valid' | 'invalid' | 'mutated' | 'junk';

interface Case {
  method: string;
  path: string;
  contentType: string | undefined;
  signing: Signing;
  idempotencyKey: string | undefined;
  correlationId: string | undefined;
  bodyClass: BodyClass;
  body: Buffer;
}

const TOKEN = /^[\x21-\x7e]{1,256}$/;

const bodies: fc.Arbitrary<{ bodyClass: BodyClass; body: Buffer }> = fc.oneof(
  {
    weight: 2,
    arbitrary: validJobRequest().map((r) => ({
      bodyClass: 'valid' as const,
      body: Buffer.from(JSON.stringify(r)),
    })),
  },
  {
    weight: 4,
    arbitrary: invalidJobRequest().map((r) => ({
      bodyClass: 'invalid' as const,
      body: Buffer.from(JSON.stringify(r)),
    })),
  },
  {
    weight: 2,
    arbitrary: validJobRequest()
      .chain((r) => mutated(r, 3))
      .map((r: Json) => ({ bodyClass: 'mutated' as const, body: Buffer.from(JSON.stringify(r)) })),
  },
  { weight: 1, arbitrary: junkBytes.map((b) => ({ bodyClass: 'junk' as const, body: Buffer.from(b) })) },
);

const cases: fc.Arbitrary<Case> = fc
  .record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('POST') },
      { weight: 3, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
    ),
    path: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('/jobs', '/jobs/', '/jobs:plan') },
      {
        weight: 3,
        arbitrary: fc.oneof(
          fc.constantFrom(
            '/',
            '/job',
            '/jobs/sg-webhook-abc',
            '/jobs/%E0%A4%A',
            '/jobs/a/b',
            '/favicon.ico',
            '/robots.txt',
            '/jobs?region=us-central1',
          ),
          fc.stringMatching(/^[a-z0-9%._~-]{0,20}$/).map((s) => `/jobs/${s}`),
          fc.stringMatching(/^[a-zA-Z0-9%._~:/-]{0,30}$/).map((s) => `/${s}`),
        ),
      },
    ),
    contentType: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          undefined,
          'text/plain',
          'application/problem+json',
          'application/x-www-form-urlencoded',
          'application/octet-stream',
          'multipart/form-data; boundary=x',
        ),
      },
    ),
    signing: fc.oneof(
      { weight: 5, arbitrary: fc.constant<Signing>('valid') },
      {
        weight: 4,
        arbitrary: fc.constantFrom<Signing>(
          'old-key',
          'none',
          'wrong-key',
          'stale',
          'junk',
          'v1-only',
          'other-route',
        ),
      },
    ),
    idempotencyKey: fc.option(fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), headerValue), {
      nil: undefined,
    }),
    correlationId: fc.option(headerValue, { nil: undefined }),
    bodies,
  })
  .map(({ bodies: b, ...rest }) => ({ ...rest, ...b }));

/** The path fetch sends: the URL parser removes dot segments (`/jobs/.` becomes `/jobs/`). */
function sentPath(path: string): string {
  return new URL(`http://127.0.0.1${path}`).pathname;
}

/** What a correct signature of this case covers: the route as the webhook matches it. */
function signedRequest(c: Case): SignedRequest {
  const path = sentPath(c.path);
  const route = matchRoute(c.method, path);
  return { method: c.method, path: 'path' in route ? route.path : path, body: c.body };
}

function signature(c: Case, now: number): string | undefined {
  const signed = signedRequest(c);
  switch (c.signing) {
    case 'none':
      return undefined;
    case 'valid':
      return signatureHeader(SECRET, now, signed);
    case 'old-key':
      return signatureHeader(OLD_SECRET, now, signed);
    case 'wrong-key':
      return signatureHeader('not-a-configured-key', now, signed);
    case 'stale':
      return signatureHeader(SECRET, now - 301, signed);
    case 'junk':
      return `t=${now},v2=${'0'.repeat(64)}`;
    case 'v1-only':
      return signatureHeader(SECRET, now, signed).replace(',v2=', ',v1=');
    case 'other-route':
      // A signature captured on another route or method, replayed here.
      return signatureHeader(SECRET, now, {
        ...signed,
        ...(signed.path === '/jobs' ? { path: '/jobs:plan' } : { path: '/jobs', method: 'POST' }),
      });
  }
}

const fuzz = useFuzzStack();

describe('fuzz: webhook', () => {
  it(
    'never answers 5xx, codes every error, and launches only signed valid requests to /jobs',
    async () => {
      const counts = { created: 0, plans: 0, unsignedRefused: 0, parserRefusals: 0 };
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const headers: Record<string, string> = {};
          if (c.contentType !== undefined) headers['Content-Type'] = c.contentType;
          const now = Math.floor(Date.now() / 1000);
          const sig = signature(c, now);
          if (sig !== undefined) headers['X-Streamgate-Signature'] = sig;
          if (c.idempotencyKey !== undefined) headers['Idempotency-Key'] = c.idempotencyKey;
          if (c.correlationId !== undefined) headers['X-Correlation-Id'] = c.correlationId;
          const hasBody = c.method !== 'GET' && c.method !== 'HEAD';
          const o = await observe(fuzz().stack, () =>
            fetch(`${fuzz().stack.urls.webhook}${c.path}`, {
              method: c.method,
              headers,
              ...(hasBody ? { body: new Uint8Array(c.body) } : {}),
              signal: AbortSignal.timeout(20_000),
            }),
          );
          expectNoServerError(o);

          const route = sentPath(c.path).replace(/\/+$/, '') || '/';
          const isCreate = c.method === 'POST' && route === '/jobs';
          const isPlan = c.method === 'POST' && route === '/jobs:plan';
          const isLookup = (c.method === 'GET' || c.method === 'HEAD') && route.startsWith('/jobs/');
          const json = c.contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
          const signed = c.signing === 'valid' || c.signing === 'old-key';
          // HTTP trims header values, so the server sees the key without surrounding blanks.
          const sentKey = c.idempotencyKey?.trim();
          const keyOk = sentKey === undefined || TOKEN.test(sentKey);
          const valid = c.bodyClass !== 'junk' && c.bodyClass !== 'invalid' && schemaValid(c.body);
          if (c.bodyClass === 'invalid') expect(schemaValid(c.body)).toBe(false);

          // Errors are RFC 9457 problems with a known code (framework 404s for favicon/robots aside).
          // Express answers 400/413/415 (HTML) itself, before the webhook runs, for JSON bodies its
          // parser refuses and for paths with malformed %-escapes; see docs/reliability.md.
          const parserRefusal =
            o.contentType.startsWith('text/html') &&
            (json || malformedPath(c.path)) &&
            [400, 413, 415].includes(o.status);
          if (parserRefusal) {
            expect(o.batchCalls).toBe(0);
            counts.parserRefusals += 1;
          } else if (
            o.status >= 400 &&
            c.method !== 'HEAD' &&
            !/^\/(favicon\.ico|robots\.txt)/.test(c.path)
          ) {
            expect(o.contentType).toMatch(/^application\/problem\+json/);
            const problem = JSON.parse(o.body) as { code: string; status: number; reasons: unknown[] };
            expect(KNOWN_CODES.has(problem.code), `unknown code ${problem.code}`).toBe(true);
            expect(problem.status).toBe(o.status);
            expect(problem.reasons.length).toBeGreaterThan(0);
          }
          // Batch is consulted only for a signed, valid create/plan, or for a signed status lookup.
          const mayTouchBatch =
            ((isCreate || isPlan) && json && signed && keyOk && valid) || (isLookup && signed);
          if (!mayTouchBatch) expect(o.batchCalls).toBe(0);
          if (!isCreate) expect(o.createCalls).toBe(0);
          if (isLookup && !signed && !parserRefusal && o.status !== 404) {
            expect(o.status).toBe(401);
            if (c.signing === 'v1-only' && c.method === 'GET')
              expect(JSON.parse(o.body)).toMatchObject({ code: 'SIGNATURE_SCHEME_OUTDATED' });
            counts.unsignedRefused += 1;
          }
          if ((isCreate || isPlan) && !signed) {
            expect([400, 401, 413, 415]).toContain(o.status);
            if (o.status === 400) expect(parserRefusal).toBe(true);
            counts.unsignedRefused += 1;
          }
          if (isCreate && o.status >= 200 && o.status < 300) {
            expect(mayTouchBatch).toBe(true);
            const answer = JSON.parse(o.body) as { jobId: string };
            // The request's own idempotencyKey wins over the header (toLaunchRequest).
            const own = (JSON.parse(c.body.toString('utf8')) as { idempotencyKey?: string }).idempotencyKey;
            // Without either, the key derives from what the signature covered (replays find the job).
            const key = own ?? sentKey ?? signedRequestKey(now, signedRequest(c));
            expect(answer.jobId).toBe(jobIdFor('webhook', key));
            counts.created += 1;
          }
          if (isPlan && o.status === 200) counts.plans += 1;
        }),
        fuzzParameters(2_000),
      );
      expect(counts.unsignedRefused).toBeGreaterThan(0);
      expect(counts.created + counts.plans).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(60_000),
  );

  it(
    'refuses any header that is not a signature of this body with a configured key',
    async () => {
      await fc.assert(
        fc.asyncProperty(validJobRequest(), nastyString, async (request, junk) => {
          const body = JSON.stringify(request);
          const o = await observe(fuzz().stack, () =>
            fetch(`${fuzz().stack.urls.webhook}/jobs`, {
              method: 'POST',
              headers: {
                'Content-Type': 'application/json',
                'X-Streamgate-Signature': junk.replace(/[^\x20-\x7e]/g, '').slice(0, 300) || 'x',
              },
              body,
              signal: AbortSignal.timeout(20_000),
            }),
          );
          expect(o.status).toBe(401);
          expect(o.batchCalls).toBe(0);
          expect((JSON.parse(o.body) as { code: string }).code).toMatch(
            /^SIGNATURE_(MISSING|INVALID|STALE|SCHEME_OUTDATED)$/,
          );
        }),
        fuzzParameters(200),
      );
    },
    fuzzTimeoutMs(30_000),
  );
});

function malformedPath(path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

function schemaValid(body: Buffer): boolean {
  try {
    return JobRequestV1Schema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)))
      .success;
  } catch {
    return false;
  }
}
