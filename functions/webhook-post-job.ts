import type { Request, Response } from '@google-cloud/functions-framework';
import { jobDefaultsFor } from '../shared/core/config.js';
import { isStreamgateError, StreamgateError } from '../shared/core/errors.js';
import type { Finding } from '../shared/core/reason-codes.js';
import {
  IdempotencyKeySchema,
  parseJobRequest,
  toLaunchRequest,
  type LaunchRequest,
} from '../shared/core/request.js';
import { signedRequestKey } from '../shared/core/webhook-signature.js';
import { launch, reject } from '../shared/pipeline/launch.js';
import type { LaunchOutcome } from '../shared/pipeline/outcomes.js';
import { findingOf, isPermanent, statusOfRejection } from './outcome.js';
import { problem, sendJson, sendProblem } from './problem.js';
import type { Runtime } from './runtime.js';
import { publicFinding } from './webhook-failure.js';
import type { Route } from './webhook-routes.js';
import { checkSignature } from './webhook-signature.js';

/**
 * `POST /jobs` and `POST /jobs:plan` (body already bounded by webhook-front.ts): media type → signature → JSON → schema → launch (or
 * plan). Every refusal is a problem+json with a reason code.
 */
export async function postJob(
  req: Request,
  res: Response,
  deps: Runtime,
  headerCorrelationId: string,
  route: Extract<Route, { kind: 'create' | 'plan' }>,
): Promise<void> {
  const { config } = deps;
  const dryRun = route.kind === 'plan';
  // The body was bounded (size, encoding, time) by the front before anything read it.
  const raw = req.rawBody ?? Buffer.alloc(0);
  const mediaType = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return sendProblem(
      res,
      problem(
        415,
        [
          {
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message: 'Send the JobRequest as Content-Type: application/json.',
          },
        ],
        headerCorrelationId,
      ),
    );
  }
  const signed = { method: req.method, path: route.path, body: raw };
  const signature = checkSignature(req, signed, deps);
  if (!signature.ok) return sendProblem(res, problem(401, [signature.reason], headerCorrelationId));

  const json = parseJson(raw);
  if (json === undefined) {
    return sendProblem(
      res,
      problem(
        400,
        [{ code: 'INVALID_REQUEST', message: 'The body is not UTF-8 JSON.' }],
        headerCorrelationId,
      ),
    );
  }
  const keyHeader = req.get('idempotency-key');
  if (keyHeader !== undefined && !IdempotencyKeySchema.safeParse(keyHeader).success) {
    return sendProblem(
      res,
      problem(
        400,
        [
          {
            code: 'INVALID_REQUEST',
            message: 'Idempotency-Key must be 1 to 256 printable ASCII characters without spaces.',
          },
        ],
        headerCorrelationId,
      ),
    );
  }
  let request: LaunchRequest;
  let keyGiven = keyHeader !== undefined;
  try {
    const parsed = parseJobRequest(json);
    keyGiven ||= parsed.idempotencyKey !== undefined;
    if (
      keyHeader !== undefined &&
      parsed.idempotencyKey !== undefined &&
      parsed.idempotencyKey !== keyHeader
    ) {
      // Two different keys for one request: guessing which one the caller meant could launch twice.
      throw new StreamgateError(
        'INVALID_REQUEST',
        "The Idempotency-Key header and the body's idempotencyKey differ; send one of them, or the same value in both.",
        { kind: 'permanent' },
      );
    }
    request = toLaunchRequest(parsed, {
      source: 'webhook',
      // Without a key, replaying this signed request must find the same job, not launch another.
      idempotencyKey: keyHeader ?? signedRequestKey(signature.timestampSeconds, signed),
      correlationId: headerCorrelationId,
      defaults: jobDefaultsFor(config),
    });
  } catch (error) {
    if (!isStreamgateError(error) || error.transient) throw error;
    const issues = Array.isArray(error.details.issues) ? (error.details.issues as unknown[]) : [];
    if (!dryRun) await rejectQuietly(deps, headerCorrelationId, [findingOf(error)], json);
    return sendProblem(res, problem(400, [findingOf(error)], headerCorrelationId, { errors: issues }));
  }

  const log = deps.logger.child({ correlationId: request.correlationId });
  let outcome: LaunchOutcome;
  try {
    // A plan's derived key is made for /jobs:plan, so no job can hold it: nothing to look up.
    outcome = await launch(request, { ...deps, logger: log }, { dryRun, freshKey: dryRun && !keyGiven });
  } catch (error) {
    if (!isPermanent(error)) throw error;
    // Batch refused the job itself (e.g. INVALID_ARGUMENT): permanent, so not a 503.
    const reasons = [findingOf(error)];
    if (!dryRun) await rejectQuietly(deps, request.correlationId, reasons, request, request.idempotencyKey);
    const status = error.code === 'BATCH_INVALID_ARGUMENT' ? 400 : 500;
    if (status === 500)
      log.error('Batch refused the job for a deployment reason', { code: error.code, detail: error.message });
    else log.warn('Batch refused the job', { code: error.code, detail: error.message });
    // The answer carries the code only: gRPC details stay in the log line above.
    return sendProblem(res, problem(status, [publicFinding(error)], request.correlationId));
  }
  sendOutcome(res, outcome, request.correlationId);
}

function sendOutcome(res: Response, outcome: LaunchOutcome, correlationId: string): void {
  switch (outcome.status) {
    case 'rejected':
      return sendProblem(
        res,
        problem(statusOfRejection(outcome.category), outcome.reasons, correlationId, {
          ...(outcome.report ? { eligibility: outcome.report } : {}),
        }),
      );
    case 'planned':
      return sendJson(res, 200, {
        eligibility: outcome.report,
        streaming: outcome.streaming,
        jobRegion: outcome.jobRegion,
        imageUri: outcome.imageUri,
        job: outcome.plan,
      });
    case 'launched':
      return sendJson(
        res,
        outcome.created ? 202 : 200,
        {
          status: 'launched',
          created: outcome.created,
          jobName: outcome.jobName,
          jobId: outcome.plan.jobId,
          jobUid: outcome.jobUid,
          region: outcome.jobRegion,
          imageUri: outcome.imageUri,
          streaming: outcome.streaming,
          eligibility: outcome.report,
          correlationId,
        },
        {
          Location: `/jobs/${outcome.plan.jobId}?region=${encodeURIComponent(outcome.jobRegion)}`,
        },
      );
  }
}

/**
 * Publishes `request.rejected` for an authenticated but unusable request. The client's answer is
 * a 4xx either way, so a failed publish is logged rather than turned into a 503.
 */
async function rejectQuietly(
  deps: Runtime,
  correlationId: string,
  reasons: Finding[],
  request: unknown,
  idempotencyKey?: string,
): Promise<void> {
  try {
    await reject(deps, {
      source: 'webhook',
      correlationId,
      category: 'invalid',
      reasons,
      request,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
  } catch (error) {
    deps.logger.error('could not publish request.rejected', { error });
  }
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as unknown;
  } catch {
    return undefined;
  }
}
