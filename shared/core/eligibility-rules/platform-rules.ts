import { quoteBounded } from '../bounds.js';
import { ARM_PLATFORM, armFamilyList } from '../machine-families.js';
import type { ClassifiedManifest } from '../manifest.js';
import { ImageConfigSchema } from '../manifest-schemas.js';
import { formatPlatform, normalisePlatform, platformMatches, type Platform } from '../platform.js';
import type { Findings } from './findings.js';

/**
 * NO_MATCHING_PLATFORM for the image that would run: its config's `os`, `architecture` and
 * `variant` must be a platform the job's machines run (`platformMatches`, containerd's rules).
 * containerd reads the config the same way for index entries without a platform. Nothing is
 * judged without a config (an offline check of a bare manifest), for an artifact (NOT_AN_IMAGE
 * says why already), or when the config names no architecture.
 */
export function applyConfigPlatformRule(
  manifest: ClassifiedManifest,
  config: unknown,
  platform: Platform,
  findings: Findings,
): void {
  if (manifest.kind !== 'image' || config === undefined || findings.has('NOT_AN_IMAGE')) return;
  const parsed = ImageConfigSchema.safeParse(config);
  if (!parsed.success || parsed.data.architecture === undefined) return;
  const { os, architecture, variant } = parsed.data;
  const image: Platform = { os: os ?? platform.os, architecture };
  if (variant !== undefined && variant !== '') image.variant = variant;
  if (platformMatches(image, platform)) return;
  const built = quoteBounded(formatPlatform(image), 64);
  findings.reason(
    'NO_MATCHING_PLATFORM',
    `The image is built for ${built} (its config), but the job runs on ${formatPlatform(platform)}; ${remedy(image, platform)}.`,
  );
}

function remedy(image: Platform, job: Platform): string {
  const have = normalisePlatform(image);
  const want = normalisePlatform(job);
  const push = `push a ${formatPlatform(job)} image (alone or in a multi-platform index)`;
  if (have.os === want.os && have.architecture === want.architecture) {
    return `${push}, or set the request's platform to ${quoteBounded(formatPlatform(have), 64)} if its machines support that variant`;
  }
  if (have.os === 'linux' && have.architecture === ARM_PLATFORM.architecture) {
    return `${push}, or run the job on an Arm machine type (${armFamilyList()})`;
  }
  if (have.os === 'linux' && have.architecture === 'amd64') {
    return `${push}, or run the job on an x86 machine type (e.g. n2 or c3)`;
  }
  return push;
}
