import type { StreamgateConfig } from '../core/config.js';
import { locationSettingsFor } from '../core/config.js';
import { matchesAny } from '../core/glob.js';
import type { ImageReference } from '../core/image-reference.js';
import {
  BATCH_REGIONS,
  chooseJobRegion,
  DEFAULT_LOCATION_SETTINGS,
  type LocationSettings,
} from '../core/locations.js';
import type { Finding } from '../core/reason-codes.js';
import type { LaunchRequest } from '../core/request.js';

/**
 * Where a request's job lives. The region follows from the image reference and the request alone
 * (no registry read), which lets the key's job be looked up while the image is still being read.
 */

export type JobRegionChoice = { ok: true; region: string } | { ok: false; reasons: Finding[] };

/** At most this many regions are searched for an existing job (GetJob calls run in parallel). */
export const MAX_LOOKUP_REGIONS = 4;

/**
 * The image's region when it can stream from one (the same choice the eligibility reference rules
 * make). Otherwise an explicitly requested Batch region still runs the job (without streaming, and
 * the report says why); with none there is nowhere to run it.
 *
 * @example jobRegionFor(parseImageReference('europe-docker.pkg.dev/p/r/app:1'), {}, locations)
 *   // { ok: true, region: 'europe-west1' }
 */
export function jobRegionFor(
  image: ImageReference,
  request: Pick<LaunchRequest, 'region' | 'image'>,
  locations: LocationSettings,
): JobRegionChoice {
  const locationReasons: Finding[] = [];
  if (image.registry.kind !== 'other') {
    const choice = chooseJobRegion(image.registry.location, request.region, locations);
    if (choice.ok) return choice;
    locationReasons.push(choice.reason);
  }
  if (request.region && locations.batchRegions.includes(request.region)) {
    return { ok: true, region: request.region };
  }
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

/**
 * The regions where a job with this request's key may already exist, most likely first: the
 * region this request's job would be created in, the region it asks for, and the Batch regions
 * the policy allows when they are few. A job id is unique only within a region, so an earlier
 * request with the same key whose image lives elsewhere is found only when its region is among
 * these (at most MAX_LOOKUP_REGIONS).
 *
 * @example lookupRegions(image, request, config) // ['us-central1', 'us-east1']
 */
export function lookupRegions(
  image: ImageReference | undefined,
  request: Pick<LaunchRequest, 'region' | 'image'>,
  config: Pick<StreamgateConfig, 'locations' | 'policy'>,
): string[] {
  const locations = locationSettingsFor(config, DEFAULT_LOCATION_SETTINGS);
  const regions: string[] = [];
  const planned = image ? jobRegionFor(image, request, locations) : undefined;
  if (planned?.ok) regions.push(planned.region);
  if (request.region && locations.batchRegions.includes(request.region)) regions.push(request.region);
  const allowed = locations.batchRegions.filter((r) => matchesAny(config.policy.allowedRegions, r));
  if (allowed.length <= MAX_LOOKUP_REGIONS) regions.push(...allowed);
  return [...new Set(regions)].slice(0, MAX_LOOKUP_REGIONS);
}
