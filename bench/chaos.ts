/**
 * Full-size delivery-chaos run (the test runs N = 200):
 *
 *   npx tsx bench/chaos.ts [--n 1000] [--seed 20260731] [--concurrency 8] [--json]
 *
 * Prints the numbers (attempts, retries, non-2xx answers, jobs, launched ce-ids, duration) and
 * exits 1 unless every request became exactly one job with one `job.launched` ce-id.
 */
import { parseArgs } from 'node:util';
import { formatChaos, runDeliveryChaos } from '../test/integration/chaos/delivery-chaos.js';

process.env.METADATA_SERVER_DETECTION ??= 'none';
process.env.GOOGLE_CLOUD_PROJECT ??= 'demo-project';
process.env.STREAMGATE_LOG_LEVEL ??= 'ERROR';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '20260731' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);
if (
  !Number.isInteger(n) ||
  n < 1 ||
  !Number.isInteger(seed) ||
  !Number.isInteger(concurrency) ||
  concurrency < 1
) {
  process.stderr.write('usage: tsx bench/chaos.ts [--n N] [--seed S] [--concurrency C] [--json]\n');
  process.exit(2);
}

const result = await runDeliveryChaos({ n, seed, concurrency, deadlineMs: Math.max(60_000, n * 200) });
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatChaos(result)}\n`);
const exact =
  result.lost === 0 &&
  result.jobs === n &&
  result.distinctJobIds === n &&
  result.missingJobIds.length === 0 &&
  result.unexpectedJobIds.length === 0 &&
  result.distinctLaunchedIds === n &&
  result.missingLaunchedIds.length === 0;
process.exitCode = exact ? 0 : 1;
