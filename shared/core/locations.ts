import type { Finding } from './reason-codes.js';

/**
 * Where a Batch job may run for an image stored in a given Artifact Registry location.
 */

/** Regions where Batch can create jobs (cloud.google.com/batch/docs/locations, see docs/platform-facts.md). */
export const BATCH_REGIONS: readonly string[] = Object.freeze([
  // Americas
  'northamerica-northeast1',
  'northamerica-northeast2',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
  // Europe and Middle East
  'europe-central2',
  'europe-north1',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'me-central1',
  'me-central2',
  'me-west1',
  // Asia Pacific
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
]);

/** A multi-region: the regions it contains (by name prefix) and where jobs go when none is asked for. */
interface MultiRegion {
  regionPrefixes: string[];
  defaultRegion: string;
}
type MultiRegionTable = Record<string, MultiRegion>;
export interface LocationSettings {
  batchRegions: readonly string[];
  multiRegions: MultiRegionTable;
}

/** Google does not document which regions a multi-region contains, so this is only a default table. */
export const DEFAULT_LOCATION_SETTINGS: LocationSettings = Object.freeze({
  batchRegions: BATCH_REGIONS,
  multiRegions: Object.freeze({
    us: { regionPrefixes: ['us-'], defaultRegion: 'us-central1' },
    europe: { regionPrefixes: ['europe-'], defaultRegion: 'europe-west1' },
    asia: { regionPrefixes: ['asia-'], defaultRegion: 'asia-east1' },
  }),
});

export type RegionChoice =
  { ok: true; region: string } | { ok: false; reason: Finding<'LOCATION_MISMATCH' | 'REGION_NOT_SUPPORTED'> };

/**
 * Picks the region to create the job in, so that its VMs sit where the image is stored.
 *
 * @example
 *   chooseJobRegion('europe')                  // { ok: true, region: 'europe-west1' }
 *   chooseJobRegion('us', 'us-east4')          // { ok: true, region: 'us-east4' }
 *   chooseJobRegion('us-east1', 'us-west1').ok // false (LOCATION_MISMATCH)
 */
export function chooseJobRegion(
  imageLocation: string,
  requestedRegion?: string,
  settings: LocationSettings = DEFAULT_LOCATION_SETTINGS,
): RegionChoice {
  const multi = Object.hasOwn(settings.multiRegions, imageLocation)
    ? settings.multiRegions[imageLocation]
    : undefined;
  let region: string;
  if (multi === undefined) {
    if (requestedRegion !== undefined && requestedRegion !== imageLocation) {
      return mismatch(
        `The image is stored in ${imageLocation} but the job asks for ${requestedRegion}; ask for ${imageLocation} (or leave the region out), or copy the image to a repository in ${requestedRegion}.`,
      );
    }
    region = imageLocation;
  } else if (requestedRegion === undefined) {
    region = multi.defaultRegion;
  } else {
    if (!multi.regionPrefixes.some((prefix) => requestedRegion.startsWith(prefix))) {
      return mismatch(
        `The image is stored in the ${imageLocation} multi-region, which does not contain ${requestedRegion}; ask for a region inside ${imageLocation} (e.g. ${multi.defaultRegion}), or copy the image to a repository in ${requestedRegion}.`,
      );
    }
    region = requestedRegion;
  }
  if (!settings.batchRegions.includes(region)) {
    return {
      ok: false,
      reason: {
        code: 'REGION_NOT_SUPPORTED',
        message: `Batch does not run jobs in ${region}, where this image must be streamed from; copy the image to a repository in a Batch region (e.g. us-central1) or set streaming to off.`,
      },
    };
  }
  return { ok: true, region };
}

function mismatch(message: string): RegionChoice {
  return { ok: false, reason: { code: 'LOCATION_MISMATCH', message } };
}
