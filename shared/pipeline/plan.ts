import { locationSettingsFor, type StreamgateConfig } from '../core/config.js';
import { judgeRead, reportOutsideArtifactRegistry, type EligibilityReport } from '../core/eligibility.js';
import { isStreamgateError } from '../core/errors.js';
import { streamingDecisionOf } from '../core/events.js';
import {
  formatImageReference,
  parseImageReference,
  pinToDigest,
  type ImageReference,
} from '../core/image-reference.js';
import { buildBatchJob } from '../core/job-builder.js';
import { DEFAULT_LOCATION_SETTINGS, type LocationSettings } from '../core/locations.js';
import { jobPlatform } from '../core/machine-families.js';
import { formatPlatform, type Platform } from '../core/platform.js';
import { checkFallbackPolicy, checkPolicy, checkRegionPolicy } from '../core/policy.js';
import type { ResolvedImage } from '../core/ports.js';
import type { Finding } from '../core/reason-codes.js';
import { containerFieldNames, type LaunchRequest } from '../core/request.js';
import type { PipelineDeps } from './deps.js';
import { jobRegionFor } from './job-region.js';
import type { Planned, RejectionCategory } from './outcomes.js';
import { repairForLaunch, type JudgedImage } from './repair-launch.js';

type PlanRefusal = { ok: false; category: RejectionCategory; reasons: Finding[]; report?: EligibilityReport };
export type PlanResult = { ok: true; planned: Planned } | PlanRefusal;

/**
 * What the caller already read of the request's image, so it is neither parsed nor read again:
 * the parsed `request.image`, and its resolution for a platform when the caller resolved it.
 */
export interface KnownImage {
  reference: ImageReference;
  resolved?: { image: ResolvedImage; platform: Platform };
}

/** The image judged: its reference, what the registry answered (absent off Artifact Registry), the report. */
interface Judged extends JudgedImage {
  ok: true;
}

/** What the read-only half of a plan found: the image judged, or a refusal. */
export type PlanRead = Judged | PlanRefusal;

/** Registry answers that no retry will change: the request is rejected instead of retried. */
const PERMANENT_IMAGE_CODES = new Set(['IMAGE_NOT_FOUND', 'DIGEST_MISMATCH', 'REGISTRY_AUTH_FAILED']);

function refusal(category: RejectionCategory, reasons: Finding[], report?: EligibilityReport): PlanRefusal {
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
export async function planLaunch(
  request: LaunchRequest,
  deps: PipelineDeps,
  known?: KnownImage,
  options: { dryRun?: boolean } = {},
): Promise<PlanResult> {
  return finishPlan(request, deps, await readForPlan(request, deps, known), options);
}

/**
 * The read-only half of a plan: the checks that need no I/O (reference, platform, policy), then the
 * registry, Artifact Registry and Service Usage reads, and the judgement. It writes nothing and
 * creates nothing, so a caller may start it before it knows whether the plan is needed (launch
 * starts it with the key's lookup) and drop it.
 */
export function readForPlan(
  request: LaunchRequest,
  deps: PipelineDeps,
  known?: KnownImage,
): Promise<PlanRead> {
  return resolveAndJudge(request, deps, locationSettingsFor(deps.config, DEFAULT_LOCATION_SETTINGS), known);
}

/** The rest of a plan once its reads are judged: the repair (mode repair), the decision, the job. */
export async function finishPlan(
  request: LaunchRequest,
  deps: PipelineDeps,
  read: PlanRead,
  options: { dryRun?: boolean } = {},
): Promise<PlanResult> {
  if (!read.ok) return read;
  const locations = locationSettingsFor(deps.config, DEFAULT_LOCATION_SETTINGS);
  // A plan (dry run) decides the repair too, but writes nothing.
  const platform = jobPlatform(request, deps.config.platform);
  const judged = { ok: true as const, ...(await repairForLaunch(request, read, platform, deps, options)) };
  const decided = decideStreaming(request, judged, locations, deps.config);
  if (!decided.ok) return decided;
  return { ok: true, planned: buildPlanned(request, judged, decided, deps.config) };
}

/** Parses the reference, checks the request policy, then reads and judges the image. */
async function resolveAndJudge(
  request: LaunchRequest,
  deps: PipelineDeps,
  locations: LocationSettings,
  known: KnownImage | undefined,
): Promise<Judged | PlanRefusal> {
  let image: ImageReference;
  // Every image is judged against the platform of the machines the job will run on.
  let platform: Platform;
  try {
    image = known?.reference ?? parseImageReference(request.image);
    platform = jobPlatform(request, deps.config.platform);
  } catch (error) {
    if (!isStreamgateError(error)) throw error;
    return refusal('invalid', [{ code: error.code, message: error.message }]);
  }
  const policyFindings = checkPolicy(request, image, deps.config.policy);
  if (policyFindings.length > 0) return refusal('policy', policyFindings);
  // Not Artifact Registry: never streamable, and Google credentials are never sent to it, so the
  // image is not read; the job runs the reference as given.
  const outside = reportOutsideArtifactRegistry(image);
  if (outside) return { ok: true, image, report: outside };
  return readAndJudge(request, { image, platform, locations }, deps, known);
}

/** Reads an Artifact Registry image (unless the caller already did), its repository facts, and judges it. */
async function readAndJudge(
  request: LaunchRequest,
  target: { image: ImageReference; platform: Platform; locations: LocationSettings },
  deps: PipelineDeps,
  known: KnownImage | undefined,
): Promise<Judged | PlanRefusal> {
  const { image, platform } = target;
  const apiEnabled = deps.repositoryFacts.apiEnabled(deps.config.project);
  let resolved: ResolvedImage;
  try {
    resolved = reusable(known, image, platform) ?? (await deps.images.resolve(image, platform));
  } catch (error) {
    apiEnabled.catch(() => undefined);
    if (isStreamgateError(error) && PERMANENT_IMAGE_CODES.has(error.code)) {
      return refusal('image', [{ code: error.code, message: error.message }]);
    }
    throw error;
  }
  const [repository, api] = await Promise.all([
    deps.repositoryFacts.facts(image, resolved.digest),
    apiEnabled,
  ]);
  const report = judgeRead(resolved, {
    platform,
    image,
    ...(request.region ? { requestedRegion: request.region } : {}),
    locations: target.locations,
    containerFields: containerFieldNames(request),
    repository,
    apiEnabled: api,
  });
  return { ok: true, image, resolved, report };
}

/** The caller's resolution, when it is of this image's digest for this platform. */
function reusable(known: KnownImage | undefined, image: ImageReference, platform: Platform) {
  const resolved = known?.resolved;
  if (resolved === undefined || image.digest === undefined || resolved.image.digest !== image.digest) {
    return undefined;
  }
  return formatPlatform(resolved.platform) === formatPlatform(platform) ? resolved.image : undefined;
}

/**
 * Whether a job is made, where, and with streaming on or off: what is not an image or not for the
 * job's platform makes no job; then the region, its policy, `require` and the fallback policy.
 */
function decideStreaming(
  request: LaunchRequest,
  { image, report }: Judged,
  locations: LocationSettings,
  config: StreamgateConfig,
): { ok: true; jobRegion: string; streamingOn: boolean } | PlanRefusal {
  // Whatever the streaming mode: there is no container to run, so no job is made for it.
  const notAnImage = report.reasons.filter((reason) => reason.code === 'NOT_AN_IMAGE');
  if (notAnImage.length > 0) return refusal('image', notAnImage, report);
  // Nor for an image the job's machines cannot run: with or without streaming it would not start.
  const wrongPlatform = report.reasons.filter((reason) => reason.code === 'NO_MATCHING_PLATFORM');
  if (wrongPlatform.length > 0) return refusal('image', wrongPlatform, report);

  const jobRegion = jobRegionFor(image, request, locations);
  if (!jobRegion.ok) return refusal('invalid', jobRegion.reasons, report);
  const regionFindings = checkRegionPolicy(jobRegion.region, config.policy);
  if (regionFindings.length > 0) return refusal('policy', regionFindings, report);

  const eligible = report.verdict === 'eligible';
  if (request.streaming === 'require' && !eligible) {
    const summary = report.reasons.map((r) => r.code).join(', ');
    const required: Finding = {
      code: 'INELIGIBLE_IMAGE',
      message: `Streaming is required but ${request.image} cannot be streamed (${summary}); fix the image or use streaming "auto".`,
    };
    return refusal('ineligible', [required, ...report.reasons], report);
  }
  const fallback = checkFallbackPolicy(request, report, config.policy);
  if (fallback.length > 0) return refusal('policy', [...fallback, ...report.reasons], report);
  return { ok: true, jobRegion: jobRegion.region, streamingOn: eligible && request.streaming !== 'off' };
}

/** The job as it would be created: it runs exactly the image that was judged (pinned to its root digest). */
function buildPlanned(
  request: LaunchRequest,
  { image, resolved, report, repairedFrom }: Judged,
  { jobRegion, streamingOn }: { jobRegion: string; streamingOn: boolean },
  config: StreamgateConfig,
): Planned {
  const imageUri = resolved ? formatImageReference(pinToDigest(image, resolved.digest)) : request.image;
  const plan = buildBatchJob({
    request,
    imageUri,
    jobRegion,
    streaming: streamingOn,
    eligibility: report,
    config,
  });
  return {
    status: 'planned',
    report,
    streaming: streamingDecisionOf(report, request.streaming, streamingOn),
    jobRegion,
    imageUri,
    ...(resolved ? { digest: resolved.digest } : {}),
    ...(repairedFrom === undefined ? {} : { repairedFrom }),
    plan,
  };
}
