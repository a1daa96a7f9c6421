import { describe, expect, it } from 'vitest';
import { judge, reportOutsideArtifactRegistry } from '../../../shared/core/eligibility.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';

describe('reportOutsideArtifactRegistry', () => {
  it('judges an image outside Artifact Registry on its reference alone, with the same reason judge gives', () => {
    const image = parseImageReference('docker.io/library/nginx:1.27');
    const report = reportOutsideArtifactRegistry(image);
    expect(report?.verdict).toBe('ineligible');
    expect(report?.reasons.map((r) => r.code)).toEqual(['NOT_ARTIFACT_REGISTRY']);
    expect(report?.reasons[0]?.message).toContain('docker.io');
    const judged = judge({ manifest: { document: {} }, image });
    expect(judged.reasons[0]).toEqual(report?.reasons[0]);
  });

  it('leaves an Artifact Registry image to be read and judged', () => {
    expect(
      reportOutsideArtifactRegistry(parseImageReference('us-central1-docker.pkg.dev/p/r/app:1')),
    ).toBeUndefined();
  });
});
