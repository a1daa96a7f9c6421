import { describe, expect, it } from 'vitest';
import { BATCH_REGIONS, chooseJobRegion, DEFAULT_LOCATION_SETTINGS } from '../../../shared/core/locations.js';

describe('chooseJobRegion', () => {
  it('uses the image region when none is requested, or when the same one is', () => {
    expect(chooseJobRegion('us-east1')).toEqual({ ok: true, region: 'us-east1' });
    expect(chooseJobRegion('us-east1', 'us-east1')).toEqual({ ok: true, region: 'us-east1' });
  });

  it('refuses another region for a regional image', () => {
    const choice = chooseJobRegion('us-east1', 'us-west1');
    expect(choice.ok).toBe(false);
    if (!choice.ok) {
      expect(choice.reason.code).toBe('LOCATION_MISMATCH');
      expect(choice.reason.message).toMatch(/us-east1.*us-west1/);
    }
  });

  it('refuses an image region where Batch does not run', () => {
    const choice = chooseJobRegion('northamerica-south1');
    expect(choice).toMatchObject({ ok: false, reason: { code: 'REGION_NOT_SUPPORTED' } });
  });

  it.each([
    ['us', 'us-central1'],
    ['europe', 'europe-west1'],
    ['asia', 'asia-east1'],
  ])('defaults the %s multi-region to %s', (multi, region) => {
    expect(chooseJobRegion(multi)).toEqual({ ok: true, region });
  });

  it('accepts regions inside a multi-region and refuses ones outside', () => {
    expect(chooseJobRegion('europe', 'europe-west4')).toEqual({ ok: true, region: 'europe-west4' });
    expect(chooseJobRegion('europe', 'us-central1')).toMatchObject({
      ok: false,
      reason: { code: 'LOCATION_MISMATCH' },
    });
    // asia ⊇ asia-* only: australia is not in the default table.
    expect(chooseJobRegion('asia', 'australia-southeast1')).toMatchObject({
      ok: false,
      reason: { code: 'LOCATION_MISMATCH' },
    });
  });

  it('refuses a region inside the multi-region where Batch does not run', () => {
    expect(chooseJobRegion('us', 'us-east7')).toMatchObject({
      ok: false,
      reason: { code: 'REGION_NOT_SUPPORTED' },
    });
  });

  it('follows a custom multi-region table and Batch region list', () => {
    const settings = {
      batchRegions: [...BATCH_REGIONS, 'northamerica-south1'],
      multiRegions: {
        ...DEFAULT_LOCATION_SETTINGS.multiRegions,
        us: { regionPrefixes: ['us-', 'northamerica-'], defaultRegion: 'us-east4' },
      },
    };
    expect(chooseJobRegion('us', undefined, settings)).toEqual({ ok: true, region: 'us-east4' });
    expect(chooseJobRegion('us', 'northamerica-south1', settings)).toEqual({
      ok: true,
      region: 'northamerica-south1',
    });
    expect(chooseJobRegion('northamerica-south1', undefined, settings).ok).toBe(true);
  });

  it('lists the Batch regions of docs/platform-facts.md', () => {
    expect(BATCH_REGIONS).toHaveLength(39);
    expect(BATCH_REGIONS).toContain('me-central2');
    expect(BATCH_REGIONS).not.toContain('northamerica-south1');
  });
});
