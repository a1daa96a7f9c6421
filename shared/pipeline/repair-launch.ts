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
import type { LaunchRequest } from '../core/request.js';
import type { PipelineDeps } from './deps.js';
import { repairedTag, repairImage, REPAIRABLE_REASONS } from './repair.js';

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
  if (!report.reasons.every((r) => REPAIRABLE_REASONS.includes(r.code))) return judged;
  const repository = repositoryOf(image);
  if (deps.repair === undefined || !deps.config.repairRepositories.includes(repository)) {
    const warning = {
      code: 'REPAIR_NOT_PERMITTED' as const,
      message: `Mode "repair" may not write to ${repository} (not in repair_repositories), so the image runs as in mode "auto"; list the repository in repair_repositories to repair it.`,
    };
    return { ...judged, report: { ...report, warnings: [...report.warnings, warning] } };
  }
  try {
    const outcome = await repairImage(
      { images: deps.images, ...deps.repair },
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
