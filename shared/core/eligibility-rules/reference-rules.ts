import type { ImageReference } from '../image-reference.js';
import { chooseJobRegion, type LocationSettings } from '../locations.js';
import type { Findings } from './findings.js';

/**
 * NOT_ARTIFACT_REGISTRY, LOCATION_MISMATCH, REGION_NOT_SUPPORTED. Returns the job region when
 * one can be chosen.
 */
export function applyReferenceRules(
  image: ImageReference,
  requestedRegion: string | undefined,
  locations: LocationSettings | undefined,
  findings: Findings,
): string | undefined {
  if (image.registry.kind === 'other') {
    findings.reason(
      'NOT_ARTIFACT_REGISTRY',
      `Batch streams only images stored in Artifact Registry, and ${image.host} is not an Artifact Registry host; push the image to LOCATION-docker.pkg.dev/PROJECT/REPOSITORY or set streaming to off.`,
    );
    return undefined;
  }
  const choice = chooseJobRegion(image.registry.location, requestedRegion, locations);
  if (!choice.ok) {
    findings.reason(choice.reason.code, choice.reason.message);
    return undefined;
  }
  return choice.region;
}
