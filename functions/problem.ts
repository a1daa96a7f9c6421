/**
 * RFC 9457 problem details (`application/problem+json`) for the webhook, carrying streamgate's
 * reason codes so clients can branch on `code` rather than on prose.
 */
import type { ServerResponse } from 'node:http';
import type { Response } from '@google-cloud/functions-framework';
import type { Finding } from '../shared/core/reason-codes.js';

export interface Problem {
  /** A URI naming the problem type: `urn:streamgate:problem:<code in kebab case>`. */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  reasons: Array<{ code: string; message: string }>;
  correlationId?: string;
  /** Extra members (e.g. the eligibility report of a 422). */
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden by policy',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  409: 'Idempotency key already used for another request',
  413: 'Request body too large',
  415: 'Unsupported media type',
  422: 'Image cannot be used as requested',
  429: 'Too many jobs in flight',
  500: 'Internal error',
  503: 'Temporarily unavailable',
};

/**
 * Builds a problem whose `code`, `detail` and first reason come from `reasons[0]`.
 *
 * @example
 *   problem(403, [{ code: 'POLICY_REGION', message: 'Region … is not allowed.' }], 'c-1')
 */
export function problem(
  status: number,
  reasons: readonly Finding[],
  correlationId?: string,
  extensions: Record<string, unknown> = {},
): Problem {
  const first = reasons[0] ?? { code: 'INTERNAL', message: TITLES[status] ?? 'Error' };
  return {
    ...extensions,
    type: `urn:streamgate:problem:${first.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: first.message,
    code: first.code,
    reasons: reasons.map((r) => ({ code: r.code, message: r.message })),
    ...(correlationId ? { correlationId } : {}),
  };
}

/** Sends a problem with its status, content type and any extra headers. */
export function sendProblem(res: Response, body: Problem, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/**
 * Sends the problem of one finding: the shape of most refusals.
 *
 * @example
 *   sendFinding(res, 415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send JSON.' }, correlationId)
 */
export function sendFinding(
  res: Response,
  status: number,
  finding: Finding,
  correlationId?: string,
  extensions: Record<string, unknown> = {},
): void {
  sendProblem(res, problem(status, [finding], correlationId, extensions));
}

/** Sends JSON with a status. */
export function sendJson(
  res: Response,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/**
 * Sends a problem on a plain `http.ServerResponse`, for answers given before Express sees the
 * request (the webhook's body front).
 *
 * @example
 *   writeProblem(res, problem(413, [{ code: 'BODY_TOO_LARGE', message: '…' }]), { Connection: 'close' })
 */
export function writeProblem(res: ServerResponse, body: Problem, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(body.status, {
    ...headers,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(json)),
  });
  res.end(json);
}
