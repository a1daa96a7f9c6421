import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { systemClock } from '../shared/adapters/system-clock.js';
import { traceLogFields } from '../shared/core/log-lines.js';
import { CorrelationIdSchema } from '../shared/core/request.js';
import { traceFromHeaders, type TraceContext } from '../shared/core/trace-context.js';
import {
  findingOf,
  IN_FLIGHT_RETRY_AFTER_SECONDS,
  isInFlightLimit,
  isTransient,
  RETRY_AFTER_SECONDS,
} from './retry-or-reject.js';
import { problem, sendFinding, sendProblem } from './problem.js';
import { getRuntime, type Runtime } from './runtime.js';
import { publicFinding } from './webhook-failure.js';
import { jobStatus } from './webhook-job-status.js';
import { postJob } from './webhook-post-job.js';
import { matchRoute } from './webhook-routes.js';
import { checkSignature } from './webhook-signature.js';

/**
 * `webhook` (HTTP): `POST /jobs` launches a signed JobRequest v1, `POST /jobs:plan` answers what
 * would be launched, `GET /jobs/<id>` reports a job. Every route is signed (scheme v2, bound to
 * the method and the route). Errors are RFC 9457 problems with reason codes; bad input never
 * answers 500.
 *
 * @example
 *   curl -X POST "$URL/jobs" -H 'Content-Type: application/json' \
 *     -H "X-Streamgate-Signature: t=$T,v2=$HMAC" -H 'Idempotency-Key: build-42' --data-binary @request.json
 */
export async function webhook(req: Request, res: Response): Promise<void> {
  const receivedAt = systemClock.now();
  const trace = traceFromHeaders((name) => req.get(name));
  const correlationId = correlationIdOf(req, trace);
  let runtime: Runtime;
  try {
    runtime = await getRuntime();
  } catch {
    // The only 500 that is not a bug: the deployment itself is misconfigured (logged CRITICAL by
    // getRuntime). No request can succeed until the config is fixed.
    const message = 'streamgate is misconfigured; the operator has to fix its config.';
    sendFinding(res, 500, { code: 'CONFIG_INVALID', message }, correlationId);
    return;
  }
  const log = runtime.logger.child({
    function: 'webhook',
    correlationId,
    ...traceLogFields(trace, runtime.config.project),
  });
  const deps: Runtime = { ...runtime, logger: log, receivedAt };
  try {
    await answer(req, res, deps, correlationId);
  } catch (error) {
    if (isInFlightLimit(error)) {
      log.warn('jobs in flight at their bound; asked the client to retry', {
        code: error.code,
        detail: error.message,
      });
      sendProblem(res, problem(429, [findingOf(error)], correlationId), {
        'Retry-After': String(IN_FLIGHT_RETRY_AFTER_SECONDS),
      });
      return;
    }
    if (isTransient(error)) {
      log.warn('transient failure; asked the client to retry', { code: error.code, detail: error.message });
      // The adapter's message (gRPC details) is logged above, never sent.
      sendProblem(res, problem(503, [publicFinding(error)], correlationId), {
        'Retry-After': String(RETRY_AFTER_SECONDS),
      });
      return;
    }
    log.error('unexpected failure', { error });
    const message = 'An internal error occurred; it was logged with this correlation id.';
    sendFinding(res, 500, { code: 'INTERNAL', message }, correlationId);
  }
}

async function answer(req: Request, res: Response, deps: Runtime, correlationId: string): Promise<void> {
  const route = matchRoute(req.method, req.path);
  switch (route.kind) {
    case 'not-found':
      return sendFinding(
        res,
        404,
        { code: 'NOT_FOUND', message: 'Use POST /jobs, POST /jobs:plan or GET /jobs/<id>.' },
        correlationId,
      );
    case 'method-not-allowed':
      return sendProblem(
        res,
        problem(
          405,
          [
            {
              code: 'METHOD_NOT_ALLOWED',
              message: `${req.method.slice(0, 16)} is not allowed here; use ${route.allow}.`,
            },
          ],
          correlationId,
        ),
        { Allow: route.allow },
      );
    case 'status': {
      // A GET is signed over an empty body, whatever the client sent with it.
      const check = checkSignature(req, { method: req.method, path: route.path, body: '' }, deps);
      if (!check.ok) return sendFinding(res, 401, check.reason, correlationId);
      return jobStatus(req, res, deps, route.jobId, correlationId);
    }
    case 'create':
    case 'plan':
      return postJob(req, res, deps, correlationId, route);
  }
}

/** X-Correlation-Id, else the request's trace id (traceparent or X-Cloud-Trace-Context), else a new UUID. */
function correlationIdOf(req: Request, trace: TraceContext | undefined): string {
  const header = req.get('x-correlation-id');
  if (header !== undefined && CorrelationIdSchema.safeParse(header).success) return header;
  return trace?.traceId ?? randomUUID();
}
