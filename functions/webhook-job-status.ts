import type { Request, Response } from '@google-cloud/functions-framework';
import type { Finding } from '../shared/core/reason-codes.js';
import { REGION_PATTERN } from '../shared/core/request.js';
import { describeJob, type JobStatus } from '../shared/pipeline/job-status.js';
import { isPermanent } from './retry-or-reject.js';
import { sendFinding, sendJson } from './problem.js';
import type { Runtime } from './runtime.js';
import { publicFinding } from './webhook-failure.js';

/**
 * `GET /jobs/<id>[?region=R]` (signature already verified): looks in the given region, else in
 * every plain region of `policy.allowedRegions`. Jobs streamgate does not manage are not found.
 * A Batch failure answers with its reason code only; transient ones propagate to the webhook's
 * 503.
 */
export async function jobStatus(
  req: Request,
  res: Response,
  deps: Runtime,
  jobId: string,
  correlationId: string,
): Promise<void> {
  const regions = regionsToSearch(req.query.region, deps);
  if ('code' in regions) return sendFinding(res, 400, regions, correlationId);
  let status: JobStatus | undefined;
  try {
    status = await describeJob(jobId, regions, deps);
  } catch (error) {
    if (!isPermanent(error)) throw error;
    deps.logger.error('Batch refused a job status read', { code: error.code, detail: error.message });
    return sendFinding(res, 500, publicFinding(error), correlationId);
  }
  if (!status) {
    const message = `No streamgate job ${jobId.slice(0, 128)} in ${regions.join(', ')}.`;
    return sendFinding(res, 404, { code: 'NOT_FOUND', message }, correlationId);
  }
  sendJson(res, 200, status);
}

/** The asked region, else every plain region of `policy.allowedRegions`; a finding when neither works. */
function regionsToSearch(asked: unknown, deps: Runtime): string[] | Finding {
  if (asked !== undefined) {
    if (typeof asked === 'string' && REGION_PATTERN.test(asked)) return [asked];
    return { code: 'INVALID_REQUEST', message: 'region must be one Batch region name, e.g. us-central1.' };
  }
  // Only plain region names can be looked in; globs like "us-*" cannot.
  const regions = deps.config.policy.allowedRegions.filter((r) => REGION_PATTERN.test(r));
  if (regions.length > 0) return regions;
  return {
    code: 'INVALID_REQUEST',
    message:
      'Add ?region=<region>: the allowed regions are patterns, so streamgate cannot tell where to look.',
  };
}
