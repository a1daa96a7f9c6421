import type { Request, Response } from '@google-cloud/functions-framework';
import type { Finding } from '../shared/core/reason-codes.js';
import { IdempotencyKeySchema, type LaunchRequest } from '../shared/core/request.js';
import { parseUtf8Json } from '../shared/core/utf8-json.js';
import { signedRequestKey, type SignedRequest } from '../shared/core/webhook-signature.js';
import { admit } from '../shared/pipeline/admit.js';
import { launch, publishRejection } from '../shared/pipeline/launch.js';
import type { LaunchOutcome } from '../shared/pipeline/outcomes.js';
import { findingOf, isPermanent, statusOfRejection } from './retry-or-reject.js';
import { problem, sendFinding, sendJson, sendProblem } from './problem.js';
import type { Runtime } from './runtime.js';
import { publicFinding } from './webhook-failure.js';
import type { Route } from './webhook-routes.js';
import { checkSignature } from './webhook-signature.js';

type PostRoute = Extract<Route, { kind: 'create' | 'plan' }>;

/** A POST that passed the checks before the schema: its JSON, the key header and what was signed. */
interface CheckedPost {
  json: unknown;
  keyHeader?: string;
  signed: SignedRequest;
  timestampSeconds: number;
}

type Refusal = { status: number; finding: Finding };

/**
 * `POST /jobs` and `POST /jobs:plan` (body already bounded by webhook-front.ts): media type → signature → JSON → schema → launch (or
 * plan). Every refusal is a problem+json with a reason code.
 */
export async function postJob(
  req: Request,
  res: Response,
  deps: Runtime,
  headerCorrelationId: string,
  route: PostRoute,
): Promise<void> {
  const dryRun = route.kind === 'plan';
  const checked = checkPost(req, deps, route);
  if ('finding' in checked) return sendFinding(res, checked.status, checked.finding, headerCorrelationId);
  const { json, keyHeader, signed, timestampSeconds } = checked;
  const admission = admit(
    json,
    {
      source: 'webhook',
      // Without a key, replaying this signed request must find the same job, not launch another.
      idempotencyKey: signedRequestKey(timestampSeconds, signed),
      correlationId: headerCorrelationId,
      ...(keyHeader !== undefined ? { givenKey: keyHeader } : {}),
    },
    deps.config,
  );
  if (!admission.admitted) {
    if (!dryRun) await publishRejectionQuietly(deps, headerCorrelationId, [admission.finding], json);
    return sendFinding(res, 400, admission.finding, headerCorrelationId, { errors: admission.issues });
  }
  // A plan's derived key is made for /jobs:plan, so no job can hold it: nothing to look up.
  const options = { dryRun, freshKey: dryRun && !admission.keyGiven };
  const outcome = await launchOrRefuse(admission.request, deps, options);
  if ('finding' in outcome) {
    return sendFinding(res, outcome.status, outcome.finding, admission.request.correlationId);
  }
  sendOutcome(res, outcome, admission.request.correlationId);
}

/** The checks before the schema, in order: media type, signature, JSON, Idempotency-Key header. */
function checkPost(req: Request, deps: Runtime, route: PostRoute): CheckedPost | Refusal {
  // The body was bounded (size, encoding, time) by the front before anything read it.
  const raw = req.rawBody ?? Buffer.alloc(0);
  const mediaType = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    const message = 'Send the JobRequest as Content-Type: application/json.';
    return { status: 415, finding: { code: 'UNSUPPORTED_MEDIA_TYPE', message } };
  }
  const signed = { method: req.method, path: route.path, body: raw };
  const signature = checkSignature(req, signed, deps);
  if (!signature.ok) return { status: 401, finding: signature.reason };
  const json = parseUtf8Json(raw);
  if (json === undefined) {
    return { status: 400, finding: { code: 'INVALID_REQUEST', message: 'The body is not UTF-8 JSON.' } };
  }
  const keyHeader = req.get('idempotency-key');
  if (keyHeader !== undefined && !IdempotencyKeySchema.safeParse(keyHeader).success) {
    const message = 'Idempotency-Key must be 1 to 256 printable ASCII characters without spaces.';
    return { status: 400, finding: { code: 'INVALID_REQUEST', message } };
  }
  const checked = { json, signed, timestampSeconds: signature.timestampSeconds };
  return keyHeader === undefined ? checked : { ...checked, keyHeader };
}

/**
 * Launches (or plans) an admitted request. Batch refusing the job itself (e.g. INVALID_ARGUMENT) is
 * permanent, so it is published as `request.rejected` and answered 400 (or 500 for a deployment
 * reason), not 503.
 */
async function launchOrRefuse(
  request: LaunchRequest,
  deps: Runtime,
  options: { dryRun: boolean; freshKey: boolean },
): Promise<LaunchOutcome | Refusal> {
  const log = deps.logger.child({ correlationId: request.correlationId });
  try {
    return await launch(request, { ...deps, logger: log }, options);
  } catch (error) {
    if (!isPermanent(error)) throw error;
    const reasons = [findingOf(error)];
    if (!options.dryRun) {
      await publishRejectionQuietly(deps, request.correlationId, reasons, request, request.idempotencyKey);
    }
    const status = error.code === 'BATCH_INVALID_ARGUMENT' ? 400 : 500;
    if (status === 500)
      log.error('Batch refused the job for a deployment reason', { code: error.code, detail: error.message });
    else log.warn('Batch refused the job', { code: error.code, detail: error.message });
    // The answer carries the code only: gRPC details stay in the log line above.
    return { status, finding: publicFinding(error) };
  }
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
async function publishRejectionQuietly(
  deps: Runtime,
  correlationId: string,
  reasons: Finding[],
  request: unknown,
  idempotencyKey?: string,
): Promise<void> {
  try {
    await publishRejection(deps, {
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
