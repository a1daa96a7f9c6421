import { describe, expect, it } from 'vitest';
import { batchJobName, jobNameParts } from '../../../shared/core/ids.js';

describe('Batch job names', () => {
  it('builds the name GetJob takes and reads region and id back from it', () => {
    const name = batchJobName('p', 'europe-west4', 'sg-webhook-abc');
    expect(name).toBe('projects/p/locations/europe-west4/jobs/sg-webhook-abc');
    expect(jobNameParts(name)).toEqual({ region: 'europe-west4', jobId: 'sg-webhook-abc' });
  });

  it('reads nothing from a name of another shape', () => {
    expect(jobNameParts('projects/p/locations/us-east1/jobs/j/tasks/0')).toBeUndefined();
    expect(jobNameParts('projects/p/locations/us-east1')).toBeUndefined();
    expect(jobNameParts('')).toBeUndefined();
  });
});
