import { locationSettingsFor } from '../core/config.js';
import { judge, type EligibilityReport } from '../core/eligibility.js';
import { isStreamgateError } from '../core/errors.js';
import type { StreamingDecision } from '../core/events.js';
import {
  formatImageReference,
  parseImageReference,
  pinToDigest,
  type ImageReference,
} from '../core/image-reference.js';
import { buildBatchJob } from '../core/job-builder.js';
import { BATCH_REGIONS, DEFAULT_LOCATION_SETTINGS } from '../core/locations.js';
import { parsePlatform } from '../core/platform.js';
import { checkFallbackPolicy, checkPolicy, checkRegionPolicy } from '../core/policy.js';
import type { Finding } from '../core/reason-codes.js';
import { containerFieldNames, type LaunchRequest } from '../core/request.js';
import type { PipelineDeps } from './deps.js';
import type { Planned, RejectionCategory } from './outcomes.js';
import type { ResolvedImage } from './ports.js';

export type PlanResult =
  | { ok: true; planned: Planned }
  | { ok: false; category: RejectionCategory; reasons: Finding[]; report?: EligibilityReport };

/** Registry answers that no retry will change: the request is rejected instead of retried. */
const PERMANENT_IMAGE_CODES = new Set(['IMAGE_NOT_FOUND', 'DIGEST_MISMATCH', 'REGISTRY_AUTH_FAILED']);

const LOCATION_CODES = new Set(['LOCATION_MISMATCH', 'REGION_NOT_SUPPORTED']);

function refuse(category: RejectionCategory, reasons: Finding[], report?: EligibilityReport): PlanResult {
  return report ? { ok: false, category, reasons, report } : { ok: false, category, reasons };
}

/**
 * Steps 1–4 of a launch: resolve the image, judge it, choose the region, build the job. Nothing is
 * created. Transient failures throw a StreamgateError; permanent ones come back as `ok: false`.
 *
 * @example
 *   const result = await planLaunch(request, deps);
 *   if (result.ok) console.log(result.planned.plan.job);
 */
export async function planLaunch(request: LaunchRequest, deps: PipelineDeps): Promise<PlanResult> {
  const { config } = deps;
  let image: ImageReference;
  try {
    image = parseImageReference(request.image);
  } catch (error) {
    if (!isStreamgateError(error)) throw error;
    return refuse('invalid', [{ code: error.code, message: error.message }]);
  }

  const policyFindings = checkPolicy(request, image, config.policy);
  if (policyFindings.length > 0) return refuse('policy', policyFindings);

  const locations = locationSettingsFor(config, DEFAULT_LOCATION_SETTINGS);
  const platform = parsePlatform(config.platform);
  let resolved: ResolvedImage | undefined;
  let report: EligibilityReport;

  if (image.registry.kind === 'other') {
    // Not Artifact Registry: never streamable, and Google credentials are never sent to it, so the
    // image is not read; the job runs the reference as given.
    report = {
      verdict: 'ineligible',
      reasons: [
        {
          code: 'NOT_ARTIFACT_REGISTRY',
          message: `Batch streams only images stored in Artifact Registry, and ${image.host} is not an Artifact Registry host; push the image to LOCATION-docker.pkg.dev/PROJECT/REPOSITORY or set streaming to off.`,
        },
      ],
      warnings: [],
    };
  } else {
    const apiEnabled = deps.repositoryFacts.apiEnabled(config.project);
    try {
      resolved = await deps.images.resolve(image, platform);
    } catch (error) {
      apiEnabled.catch(() => undefined);
      if (isStreamgateError(error) && PERMANENT_IMAGE_CODES.has(error.code)) {
        return refuse('image', [{ code: error.code, message: error.message }]);
      }
      throw error;
    }
    const [repository, api] = await Promise.all([
      deps.repositoryFacts.facts(image, resolved.digest),
      apiEnabled,
    ]);
    report = judge({
      manifest: resolved.manifest,
      digest: resolved.digest,
      manifests: resolved.manifests,
      config: resolved.config,
      platform,
      image,
      ...(request.region ? { requestedRegion: request.region } : {}),
      locations,
      containerFields: containerFieldNames(request),
      repository,
      apiEnabled: api,
    });
  }

  const jobRegion = chooseRegion(report, request, locations.batchRegions);
  if (!jobRegion.ok) return refuse('invalid', jobRegion.reasons, report);

  const regionFindings = checkRegionPolicy(jobRegion.region, config.policy);
  if (regionFindings.length > 0) return refuse('policy', regionFindings, report);

  const eligible = report.verdict === 'eligible';
  if (request.streaming === 'require' && !eligible) {
    const summary = report.reasons.map((r) => r.code).join(', ');
    return refuse(
      'ineligible',
      [
        {
          code: 'INELIGIBLE_IMAGE',
          message: `Streaming is required but ${request.image} cannot be streamed (${summary}); fix the image or use streaming "auto".`,
        },
        ...report.reasons,
      ],
      report,
    );
  }
  const fallback = checkFallbackPolicy(request, report, config.policy);
  if (fallback.length > 0) return refuse('policy', [...fallback, ...report.reasons], report);

  const streamingOn = eligible && request.streaming !== 'off';
  // The job runs exactly the image that was judged: pinned to the resolved root digest.
  const imageUri = resolved ? formatImageReference(pinToDigest(image, resolved.digest)) : request.image;
  const plan = buildBatchJob({
    request,
    imageUri,
    jobRegion: jobRegion.region,
    streaming: streamingOn,
    config,
  });
  const streaming: StreamingDecision = {
    enabled: streamingOn,
    mode: request.streaming,
    verdict: report.verdict,
    reasons: report.reasons,
    warnings:
      request.streaming === 'off' && eligible
        ? [
            ...report.warnings,
            {
              code: 'STREAMING_DISABLED_BY_REQUEST',
              message: 'The image could be streamed, but the request set streaming to "off".',
            },
          ]
        : report.warnings,
    ...(report.platformDigest ? { platformDigest: report.platformDigest } : {}),
  };
  return {
    ok: true,
    planned: {
      status: 'planned',
      report,
      streaming,
      jobRegion: jobRegion.region,
      imageUri,
      ...(resolved ? { digest: resolved.digest } : {}),
      plan,
    },
  };
}

/**
 * The image's region when the judge could choose one. Otherwise an explicitly requested Batch
 * region still runs the job (without streaming, and the report says why); with none there is
 * nowhere to run it.
 */
function chooseRegion(
  report: EligibilityReport,
  request: LaunchRequest,
  batchRegions: readonly string[],
): { ok: true; region: string } | { ok: false; reasons: Finding[] } {
  if (report.jobRegion) return { ok: true, region: report.jobRegion };
  const locationReasons = report.reasons.filter((r) => LOCATION_CODES.has(r.code));
  if (request.region && batchRegions.includes(request.region)) return { ok: true, region: request.region };
  if (request.region) {
    return {
      ok: false,
      reasons: [
        {
          code: 'REGION_NOT_SUPPORTED',
          message: `Batch does not run in ${request.region}; choose one of the Batch regions (${BATCH_REGIONS.slice(0, 3).join(', ')}, …).`,
        },
      ],
    };
  }
  if (locationReasons.length > 0) return { ok: false, reasons: locationReasons };
  return {
    ok: false,
    reasons: [
      {
        code: 'INVALID_REQUEST',
        message: `streamgate cannot tell which region ${request.image} lives in; set "region" in the request.`,
      },
    ],
  };
}
