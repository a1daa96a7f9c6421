/**
 * Mode `repair` in a launch: an image whose only reasons are EMPTY_LAYER and/or DUPLICATE_LAYER is
 * repaired (shared/pipeline/repair.ts), pushed by digest and tag, and the job runs the repaired
 * digest with streaming on. Only in repositories the config permits (Terraform grants the writer
 * role on exactly those); elsewhere, or when the repair is refused, the launch goes on as `auto`.
 */
import type { EligibilityReport } from '../core/eligibility.js';
import { isStreamgateError } from '../core/errors.js';
import { pinToDigest, registryAuthority, type ImageReference } from '../core/image-reference.js';
import type { Platform } from '../core/platform.js';
import type { ImageContent, LayerInspector, RegistryWriter, ResolvedImage } from '../core/ports.js';
import type { Finding, WarningCode } from '../core/reason-codes.js';
import type { LaunchRequest } from '../core/request.js';
import type { PipelineDeps } from './deps.js';

/** The adapters a repair needs beyond the pipeline's own (wired only where writes are possible). */
export interface RepairPorts {
  content: ImageContent;
  layers: LayerInspector;
  writer: RegistryWriter;
}

/** An image as judged for a launch; `repairedFrom` is set when it is a repair of that digest. */
export interface JudgedImage {
  image: ImageReference;
  resolved?: ResolvedImage;
  report: EligibilityReport;
  repairedFrom?: string;
}

/** REPAIR_NOT_PERMITTED when this repository may not be written here, and why. */
function notPermitted(repository: string, deps: PipelineDeps): Finding<WarningCode> | undefined {
  const permitted = deps.config.repairRepositories.includes(repository);
  if (deps.repair !== undefined && permitted) return undefined;
  const why = permitted
    ? 'this entry point writes nothing to registries (e.g. `streamgate plan`)'
    : `${repository} is not in repair_repositories (repairRepositories)`;
  return {
    code: 'REPAIR_NOT_PERMITTED',
    message: `Mode "repair" did not repair the image because ${why}, so it runs as in mode "auto"; list the repository in repair_repositories to repair it.`,
  };
}

/** `HOST/PROJECT/REPOSITORY` of an image, as `repairRepositories` lists them. */
export function repositoryOf(image: ImageReference): string {
  return [registryAuthority(image), ...image.path.split('/').slice(0, 2)].join('/');
}

/**
 * The image to launch in mode `repair`: the repaired one when a repair was made, else the judged
 * one (with REPAIR_NOT_PERMITTED when the repository may not be written). Transient failures throw.
 *
 * @example
 *   const judged = await repairForLaunch(request, { image, resolved, report }, platform, deps);
 */
export async function repairForLaunch(
  request: LaunchRequest,
  judged: JudgedImage,
  platform: Platform,
  deps: PipelineDeps,
  options: { dryRun?: boolean } = {},
): Promise<JudgedImage> {
  const { image, resolved, report } = judged;
  if (request.streaming !== 'repair' || resolved === undefined || report.verdict === 'eligible')
    return judged;
  // Loaded only in mode repair: a cold start for any other launch does not pay for it.
  const { repairedTag, repairImage, REPAIRABLE_REASONS } = await import('./repair.js');
  if (!report.reasons.every((r) => REPAIRABLE_REASONS.includes(r.code))) return judged;
  const refusal = notPermitted(repositoryOf(image), deps);
  const ports = deps.repair;
  if (refusal !== undefined || ports === undefined) {
    const warnings = refusal === undefined ? report.warnings : [...report.warnings, refusal];
    return { ...judged, report: { ...report, warnings } };
  }
  try {
    const outcome = await repairImage(
      { images: deps.images, ...ports },
      {
        image: pinToDigest(image, resolved.digest),
        platform,
        tag: repairedTag(image, resolved.digest),
        dryRun: options.dryRun === true,
      },
    );
    if (outcome.status !== 'repaired' || outcome.repairedDigest === undefined) {
      deps.logger.warn('repair refused; launching as mode auto', {
        digest: resolved.digest,
        reasons: outcome.reasons.map((r) => r.code),
      });
      return judged;
    }
    deps.logger.info(options.dryRun ? 'repair planned (dry run, nothing written)' : 'image repaired', {
      digest: resolved.digest,
      repairedDigest: outcome.repairedDigest,
    });
    return {
      image: pinToDigest(image, outcome.repairedDigest),
      resolved: { ...resolved, digest: outcome.repairedDigest },
      report: {
        ...report,
        verdict: 'eligible',
        reasons: [],
        warnings: [
          ...report.warnings,
          ...outcome.warnings.filter((w) => !report.warnings.some((r) => r.code === w.code)),
        ],
      },
      repairedFrom: resolved.digest,
    };
  } catch (error) {
    if (!isStreamgateError(error) || error.transient) throw error;
    deps.logger.warn('repair failed; launching as mode auto', { digest: resolved.digest, error });
    return judged;
  }
}
