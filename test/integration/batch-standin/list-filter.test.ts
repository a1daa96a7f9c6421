import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchJobs, inFlightFilter } from '../../../shared/adapters/batch-jobs.js';
import { codeOf, jobSpec, PARENT, startHarness, type Harness } from './helpers.js';

/**
 * ListJobs filters with OR and parentheses (AIP-160), as streamgate's in-flight count sends them:
 * `labels.K="V" AND (status.state="QUEUED" OR status.state="SCHEDULED" OR status.state="RUNNING")`.
 */
describe('Batch stand-in: ListJobs filter with AND, OR and parentheses', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ timings: 'manual' });
    const jobs: Array<[string, string, number]> = [
      ['a-queued', 'a', 0],
      ['a-scheduled', 'a', 1],
      ['a-running', 'a', 2],
      ['a-done', 'a', 3],
      ['b-queued', 'b', 0],
    ];
    for (const [id, team, steps] of jobs) {
      await h.client.createJob({ parent: PARENT, jobId: id, job: jobSpec(['true'], { labels: { team } }) });
      for (let i = 0; i < steps; i++) h.standIn.advance(`${PARENT}/jobs/${id}`);
    }
  });
  afterAll(() => h.close());

  const ids = async (filter: string) => {
    const [jobs] = await h.client.listJobs({ parent: PARENT, filter });
    return jobs.map((job) => job.name!.split('/').at(-1)).sort();
  };

  it('selects one label in the in-flight states, and nothing else', async () => {
    expect(await ids(inFlightFilter({ key: 'team', value: 'a' }))).toEqual([
      'a-queued',
      'a-running',
      'a-scheduled',
    ]);
  });

  it('binds OR tighter than AND, as AIP-160 says, and honours parentheses', async () => {
    expect(await ids('labels.team=b AND status.state=QUEUED OR status.state=RUNNING')).toEqual(['b-queued']);
    expect(await ids('(labels.team=b AND status.state=QUEUED) OR status.state=SUCCEEDED')).toEqual([
      'a-done',
      'b-queued',
    ]);
    expect(await ids('status.state != QUEUED AND labels.team = "a"')).toEqual([
      'a-done',
      'a-running',
      'a-scheduled',
    ]);
  });

  it('refuses what it cannot parse with INVALID_ARGUMENT', async () => {
    for (const filter of ['(labels.team=a', 'labels.team=a OR', 'labels.team=a )', 'AND labels.team=a']) {
      await expect(ids(filter), filter).rejects.toSatisfy((e) => codeOf(e) === grpc.status.INVALID_ARGUMENT);
    }
  });

  it('is what the Batch adapter counts, stopping at the bound', async () => {
    const batch = createBatchJobs({ endpoint: h.standIn.address });
    try {
      expect(await batch.countJobsInFlight(PARENT, { key: 'team', value: 'a' }, 10)).toBe(3);
      expect(await batch.countJobsInFlight(PARENT, { key: 'team', value: 'a' }, 2)).toBe(2);
      expect(await batch.countJobsInFlight(PARENT, { key: 'team', value: 'c' }, 10)).toBe(0);
    } finally {
      await batch.close();
    }
  });
});
