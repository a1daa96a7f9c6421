import { locationSettingsFor } from '../core/config.js';
import { judge, type EligibilityReport } from '../core/eligibility.js';
import { isStreamgateError } from '../core/errors.js';
import { streamingDecisionOf } from '../core/events.js';
import {
  formatImageReference,
  parseImageReference,
  pinToDigest,
  type ImageReference,
} from '../core/image-reference.js';
import { buildBatchJob } from '../core/job-builder.js';
import { DEFAULT_LOCATION_SETTINGS } from '../core/locations.js';
import { jobPlatform } from '../core/machine-families.js';
import type { Platform } from '../core/platform.js';
import { checkFallbackPolicy, checkPolicy, checkRegionPolicy } from '../core/policy.js';
import type { Finding } from '../core/reason-codes.js';
import { containerFieldNames, type LaunchRequest } from '../core/request.js';
import type { PipelineDeps } from './deps.js';
import { jobRegionFor } from './job-region.js';
import type { Planned, RejectionCategory } from './outcomes.js';
import type { ResolvedImage } from './ports.js';

export type PlanResult =
  | { ok: true; planned: Planned }
  | { ok: false; category: RejectionCategory; reasons: Finding[]; report?: EligibilityReport };

/** Registry answers that no retry will change: the request is rejected instead of retried. */
const PERMANENT_IMAGE_CODES = new Set(['IMAGE_NOT_FOUND', 'DIGEST_MISMATCH', 'REGISTRY_AUTH_FAILED']);

function refuse(category: RejectionCategory, reasons: Finding[], report?: EligibilityReport): PlanResult {
  return report ? { ok: false, category, reasons, report } : { ok: false, category, reasons };
}

/**
 * Steps 1–4 of a launch: resolve the image, judge it, choose the region, build the job. Nothing is
 * created. Transient failures throw a StreamgateError; permanent ones come back as `ok: false`.
 * What is not an image (NOT_AN_IMAGE: an artifact, a signature, a Helm chart, a non-DOCKER
 * repository) is refused in every streaming mode, as category `image`; so is an image for another
 * platform than the job's (NO_MATCHING_PLATFORM; the platform follows the machine type).
 *
 * @example
 *   const result = await planLaunch(request, deps);
 *   if (result.ok) console.log(result.planned.plan.job);
 */
export async function planLaunch(request: LaunchRequest, deps: PipelineDeps): Promise<PlanResult> {
  const { config } = deps;
  let image: ImageReference;
  // Every image is judged against the platform of the machines the job will run on.
  let platform: Platform;
  try {
    image = parseImageReference(request.image);
    platform = jobPlatform(request, config.platform);
  } catch (error) {
    if (!isStreamgateError(error)) throw error;
    return refuse('invalid', [{ code: error.code, message: error.message }]);
  }

  const policyFindings = checkPolicy(request, image, config.policy);
  if (policyFindings.length > 0) return refuse('policy', policyFindings);

  const locations = locationSettingsFor(config, DEFAULT_LOCATION_SETTINGS);
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

  // Whatever the streaming mode: there is no container to run, so no job is made for it.
  const notAnImage = report.reasons.filter((reason) => reason.code === 'NOT_AN_IMAGE');
  if (notAnImage.length > 0) return refuse('image', notAnImage, report);
  // Nor for an image the job's machines cannot run: with or without streaming it would not start.
  const wrongPlatform = report.reasons.filter((reason) => reason.code === 'NO_MATCHING_PLATFORM');
  if (wrongPlatform.length > 0) return refuse('image', wrongPlatform, report);

  const jobRegion = jobRegionFor(image, request, locations);
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
    eligibility: report,
    config,
  });
  return {
    ok: true,
    planned: {
      status: 'planned',
      report,
      streaming: streamingDecisionOf(report, request.streaming, streamingOn),
      jobRegion: jobRegion.region,
      imageUri,
      ...(resolved ? { digest: resolved.digest } : {}),
      plan,
    },
  };
}
