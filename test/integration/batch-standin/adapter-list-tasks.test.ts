/**
 * The Batch adapter's listTasks against the stand-in: every page of a large task group, and no
 * gax warning on the way (gax warns when a page size meets its auto-paginating call).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchJobs } from '../../../shared/adapters/batch-jobs.js';
import { jobSpec, PARENT, startHarness, type Harness } from './helpers.js';

describe('Batch adapter: listTasks', () => {
  let h: Harness;
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.name);
  };
  beforeAll(async () => {
    h = await startHarness({ timings: 'manual' });
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await h.close();
  });

  it('reads every task across pages of 1000, and gax emits no AutopaginateTrueWarning', async () => {
    const spec = jobSpec();
    spec.taskGroups![0]!.taskCount = 1205;
    const [job] = await h.client.createJob({ parent: PARENT, jobId: 'many-tasks', job: spec });
    const batch = createBatchJobs({ endpoint: `127.0.0.1:${h.standIn.port}` });
    try {
      const tasks = await batch.listTasks(job.name!);
      expect(tasks).toHaveLength(1205);
      expect(new Set(tasks.map((t) => t.name)).size).toBe(1205);
      expect(tasks.at(-1)?.name).toBe(`${job.name}/taskGroups/group0/tasks/1204`);
    } finally {
      await batch.close();
    }
    // process.emitWarning delivers on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('AutopaginateTrueWarning');
  });
});
