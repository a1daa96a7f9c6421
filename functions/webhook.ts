import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { jobDefaultsFor } from '../shared/core/config.js';
import { isStreamgateError, StreamgateError } from '../shared/core/errors.js';
import type { Finding } from '../shared/core/reason-codes.js';
import {
  CorrelationIdSchema,
  IdempotencyKeySchema,
  parseJobRequest,
  REGION_PATTERN,
  toLaunchRequest,
  type LaunchRequest,
} from '../shared/core/request.js';
import { verifySignature } from '../shared/core/webhook-signature.js';
import { describeJob } from '../shared/pipeline/job-status.js';
import { launch, reject } from '../shared/pipeline/launch.js';
import type { LaunchOutcome } from '../shared/pipeline/outcomes.js';
import { findingOf, isPermanent, isTransient, RETRY_AFTER_SECONDS, statusOfRejection } from './outcome.js';
import { problem, sendJson, sendProblem } from './problem.js';
import { getRuntime, type Runtime } from './runtime.js';
import { matchRoute } from './webhook-routes.js';

const SIGNATURE_HEADER = 'x-streamgate-signature';
const TRACE_ID = /^([0-9a-f]{32})(?:\/|$)/i;

/**
 * `webhook` (HTTP): `POST /jobs` launches a signed JobRequest v1, `POST /jobs:plan` answers what
 * would be launched, `GET /jobs/<id>` reports a job. Errors are RFC 9457 problems with reason
 * codes; bad input never answers 500.
 *
 * @example
 *   curl -X POST "$URL/jobs" -H 'Content-Type: application/json' \
 *     -H "X-Streamgate-Signature: t=$T,v1=$HMAC" -H 'Idempotency-Key: build-42' -d @request.json
 */
export async function webhook(req: Request, res: Response): Promise<void> {
  const correlationId = correlationIdOf(req);
  let runtime: Runtime;
  try {
    runtime = await getRuntime();
  } catch {
    // The only 500 that is not a bug: the deployment itself is misconfigured (logged CRITICAL by
    // getRuntime). No request can succeed until the config is fixed.
    sendProblem(
      res,
      problem(
        500,
        [
          {
            code: 'CONFIG_INVALID',
            message: 'streamgate is misconfigured; the operator has to fix its config.',
          },
        ],
        correlationId,
      ),
    );
    return;
  }
  const log = runtime.logger.child({ function: 'webhook', correlationId });
  const deps: Runtime = { ...runtime, logger: log };
  try {
    await answer(req, res, deps, correlationId);
  } catch (error) {
    if (isTransient(error)) {
      log.warn('transient failure; asked the client to retry', { code: error.code, detail: error.message });
      sendProblem(res, problem(503, [findingOf(error)], correlationId), {
        'Retry-After': String(RETRY_AFTER_SECONDS),
      });
      return;
    }
    log.error('unexpected failure', { error });
    sendProblem(
      res,
      problem(
        500,
        [
          {
            code: 'INTERNAL',
            message: 'An internal error occurred; it was logged with this correlation id.',
          },
        ],
        correlationId,
      ),
    );
  }
}

async function answer(req: Request, res: Response, deps: Runtime, correlationId: string): Promise<void> {
  const route = matchRoute(req.method, req.path);
  switch (route.kind) {
    case 'not-found':
      return sendProblem(
        res,
        problem(
          404,
          [{ code: 'NOT_FOUND', message: 'Use POST /jobs, POST /jobs:plan or GET /jobs/<id>.' }],
          correlationId,
        ),
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
    case 'status':
      return jobStatus(req, res, deps, route.jobId, correlationId);
    case 'create':
    case 'plan':
      return postJob(req, res, deps, correlationId, route.kind === 'plan');
  }
}

async function jobStatus(
  req: Request,
  res: Response,
  deps: Runtime,
  jobId: string,
  correlationId: string,
): Promise<void> {
  const asked = req.query.region;
  let regions: string[];
  if (asked !== undefined) {
    if (typeof asked !== 'string' || !REGION_PATTERN.test(asked)) {
      return sendProblem(
        res,
        problem(
          400,
          [{ code: 'INVALID_REQUEST', message: 'region must be one Batch region name, e.g. us-central1.' }],
          correlationId,
        ),
      );
    }
    regions = [asked];
  } else {
    // Only plain region names can be looked in; globs like "us-*" cannot.
    regions = deps.config.policy.allowedRegions.filter((r) => REGION_PATTERN.test(r));
    if (regions.length === 0) {
      return sendProblem(
        res,
        problem(
          400,
          [
            {
              code: 'INVALID_REQUEST',
              message:
                'Add ?region=<region>: the allowed regions are patterns, so streamgate cannot tell where to look.',
            },
          ],
          correlationId,
        ),
      );
    }
  }
  const status = await describeJob(jobId, regions, deps);
  if (!status) {
    return sendProblem(
      res,
      problem(
        404,
        [
          {
            code: 'NOT_FOUND',
            message: `No streamgate job ${jobId.slice(0, 128)} in ${regions.join(', ')}.`,
          },
        ],
        correlationId,
      ),
    );
  }
  sendJson(res, 200, status);
}

async function postJob(
  req: Request,
  res: Response,
  deps: Runtime,
  headerCorrelationId: string,
  dryRun: boolean,
): Promise<void> {
  const { config } = deps;
  const max = config.webhook.maxBodyBytes;
  const raw = req.rawBody ?? Buffer.alloc(0);
  const declared = Number(req.get('content-length') ?? '0');
  if ((Number.isFinite(declared) && declared > max) || raw.length > max) {
    return sendProblem(
      res,
      problem(
        413,
        [{ code: 'BODY_TOO_LARGE', message: `The body is larger than ${max} bytes.` }],
        headerCorrelationId,
      ),
    );
  }
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
  const signature = checkSignature(req, raw, deps);
  if (signature) return sendProblem(res, problem(401, [signature], headerCorrelationId));

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
  try {
    const parsed = parseJobRequest(json);
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
      idempotencyKey: keyHeader ?? randomUUID(),
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
    outcome = await launch(request, { ...deps, logger: log }, { dryRun });
  } catch (error) {
    if (!isPermanent(error)) throw error;
    // Batch refused the job itself (e.g. INVALID_ARGUMENT): permanent, so not a 503.
    const reasons = [findingOf(error)];
    if (!dryRun) await rejectQuietly(deps, request.correlationId, reasons, request, request.idempotencyKey);
    const status = error.code === 'BATCH_INVALID_ARGUMENT' ? 400 : 500;
    if (status === 500)
      log.error('Batch refused the job for a deployment reason', { code: error.code, detail: error.message });
    return sendProblem(res, problem(status, reasons, request.correlationId));
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

/** A 401 finding, or undefined when the signature is good. The header value is never logged. */
function checkSignature(req: Request, raw: Buffer, deps: Runtime): Finding | undefined {
  if (deps.webhookSecrets.length === 0) {
    deps.logger.error(
      'webhook has no keys configured (STREAMGATE_WEBHOOK_SECRETS is empty); refusing every request',
    );
    return {
      code: 'SIGNATURE_INVALID',
      message:
        'The webhook has no signing keys configured, so no request can be verified; ask the operator to set them.',
    };
  }
  const check = verifySignature({
    header: req.get(SIGNATURE_HEADER),
    rawBody: raw,
    secrets: deps.webhookSecrets,
    nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    toleranceSeconds: deps.config.webhook.toleranceSeconds,
  });
  if (check.ok) return undefined;
  deps.logger.warn('webhook signature refused', { reason: check.reason.code });
  return check.reason;
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

/** X-Correlation-Id, else the Cloud Trace id, else a new UUID. */
function correlationIdOf(req: Request): string {
  const header = req.get('x-correlation-id');
  if (header !== undefined && CorrelationIdSchema.safeParse(header).success) return header;
  const trace = TRACE_ID.exec(req.get('x-cloud-trace-context') ?? '');
  return trace?.[1]?.toLowerCase() ?? randomUUID();
}
