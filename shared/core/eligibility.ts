import { Findings } from './eligibility-rules/findings.js';
import { applyDescriptorCheck, judgeIndex } from './eligibility-rules/index-judgement.js';
import { applyManifestRules } from './eligibility-rules/manifest-rules.js';
import { applyConfigPlatformRule } from './eligibility-rules/platform-rules.js';
import { applyReferenceRules } from './eligibility-rules/reference-rules.js';
import {
  applyApiRule,
  applyContainerFieldRule,
  applyRepositoryRules,
  type RepositoryFactsAnswer,
} from './eligibility-rules/request-rules.js';
import type { ImageReference } from './image-reference.js';
import type { LocationSettings } from './locations.js';
import { classifyManifest, type FetchedManifest } from './manifest.js';
import { DEFAULT_PLATFORM, type Platform } from './platform.js';
import type { ResolvedImage } from './ports.js';
import type { EligibilityReasonCode, Finding, WarningCode } from './reason-codes.js';

export type {
  RepositoryFacts,
  RepositoryFactsAnswer,
  RepositoryFactsNotConfigured,
} from './eligibility-rules/request-rules.js';

export type Verdict = 'eligible' | 'ineligible' | 'needs-resolution';

export interface JudgeInput {
  /** Root document as served. */
  manifest: FetchedManifest;
  /** Root digest when known. */
  digest?: string;
  /** Children already fetched, by digest. */
  manifests?: ReadonlyMap<string, FetchedManifest>;
  /** Image config blob of the judged manifest (optional). */
  config?: unknown;
  /** The job's platform (`jobPlatform`); default linux/amd64. */
  platform?: Platform;
  /** Enables the reference and location rules. */
  image?: ImageReference;
  requestedRegion?: string;
  locations?: LocationSettings;
  /** Container field names the request sets. */
  containerFields?: readonly string[];
  /** 'unavailable' or a missing setting gives the warning REPOSITORY_FACTS_UNAVAILABLE. */
  repository?: RepositoryFactsAnswer;
  /** false gives API_DISABLED, 'unknown' the warning API_STATUS_UNKNOWN. */
  apiEnabled?: boolean | 'unknown';
}

export interface EligibilityReport {
  verdict: Verdict;
  reasons: Finding<EligibilityReasonCode>[];
  warnings: Finding<WarningCode>[];
  /** The index child judged, or that would be used. */
  platformDigest?: string;
  /** When `image` was given and a region could be chosen. */
  jobRegion?: string;
}

/** Key for the root document when its digest is not known. */
const ROOT = 'root:';

/**
 * Decides whether Batch can stream an image, and why not. Pure: everything it needs is in `input`.
 * Reasons come in this order: reference rules, manifest rules (SCHEMA1 → index → NOT_AN_IMAGE /
 * UNKNOWN_MEDIATYPE / MALFORMED → NO_LAYERS → EMPTY_LAYER → DUPLICATE_LAYER → layer types), the
 * config's platform (NO_MATCHING_PLATFORM), UNSUPPORTED_CONTAINER_FIELD, repository facts,
 * API_DISABLED. `platform` is the job's (see `jobPlatform`): index entries and the judged image's
 * config must match it.
 *
 * @example
 *   judge({ manifest: { document: manifestJson } })
 *   // { verdict: 'eligible', reasons: [], warnings: [] }
 */
export function judge(input: JudgeInput): EligibilityReport {
  const findings = new Findings();
  const platform = input.platform ?? DEFAULT_PLATFORM;
  const jobRegion =
    input.image === undefined
      ? undefined
      : applyReferenceRules(input.image, input.requestedRegion, input.locations, findings);

  const root = classifyManifest(input.manifest.document, input.manifest.contentType);
  let platformDigest: string | undefined;
  if (root.kind === 'index') {
    const rootKey = input.digest ?? ROOT;
    const lookup = (digest: string): FetchedManifest | undefined =>
      digest === rootKey ? input.manifest : input.manifests?.get(digest);
    const outcome = judgeIndex(root, rootKey, lookup, platform, findings);
    platformDigest = outcome.platformDigest;
    if (outcome.child !== undefined) {
      applyManifestRules(outcome.child, input.config, findings);
      applyConfigPlatformRule(outcome.child, input.config, platform, findings);
      applyDescriptorCheck(outcome, findings);
    }
  } else {
    applyManifestRules(root, input.config, findings);
    applyConfigPlatformRule(root, input.config, platform, findings);
  }

  if (input.containerFields !== undefined) applyContainerFieldRule(input.containerFields, findings);
  if (input.repository !== undefined) applyRepositoryRules(input.repository, root, findings);
  if (input.apiEnabled !== undefined) applyApiRule(input.apiEnabled, findings);

  const report: EligibilityReport = {
    verdict: verdictOf(findings),
    reasons: findings.reasons,
    warnings: findings.warnings,
  };
  if (platformDigest !== undefined) report.platformDigest = platformDigest;
  if (jobRegion !== undefined) report.jobRegion = jobRegion;
  return report;
}

/** What a registry read gives the judge (`ImageResolver.resolve`): root document, digest, children, config. */
type ReadImage = Pick<ResolvedImage, 'manifest' | 'digest' | 'manifests' | 'config'>;

/**
 * Judges an image as read from its registry, with the rest of the judge's input as context.
 *
 * @example
 *   judgeRead(await images.resolve(reference, platform), { platform, image: reference })
 */
export function judgeRead(
  read: ReadImage,
  context: Omit<JudgeInput, 'manifest' | 'digest' | 'manifests' | 'config'> = {},
): EligibilityReport {
  return judge({
    manifest: read.manifest,
    digest: read.digest,
    manifests: read.manifests,
    config: read.config,
    ...context,
  });
}

/**
 * The report for an image outside Artifact Registry, which Batch never streams: judged on its
 * reference alone (NOT_ARTIFACT_REGISTRY), as nothing is read from such a registry. Undefined for
 * an Artifact Registry image, which must be read and judged.
 *
 * @example
 *   reportOutsideArtifactRegistry(parseImageReference('docker.io/library/nginx:1'))?.verdict // 'ineligible'
 */
export function reportOutsideArtifactRegistry(image: ImageReference): EligibilityReport | undefined {
  if (image.registry.kind !== 'other') return undefined;
  const findings = new Findings();
  applyReferenceRules(image, undefined, undefined, findings);
  return { verdict: verdictOf(findings), reasons: findings.reasons, warnings: findings.warnings };
}

function verdictOf(findings: Findings): Verdict {
  if (findings.reasons.some((r) => r.code !== 'INDEX_NEEDS_RESOLUTION')) return 'ineligible';
  return findings.has('INDEX_NEEDS_RESOLUTION') ? 'needs-resolution' : 'eligible';
}
