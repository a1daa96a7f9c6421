/* global performance */
/**
 * `npm run bench [-- --json] [--rounds N] [--duration MS] [--no-build] [--node PATH]`
 *
 * Measures streamgate's four functions against two baselines taken in the same run: a
 * functions-framework hello-world, and each function's "floor" (hello-world plus the Google
 * clients that function must construct). Cold starts alternate baseline and ours so they share
 * noise; medians are reported as ratios. Loopback only; every process started is stopped.
 * It prints a human table; with --json the LAST stdout line is one JSON object (see docs/performance.md).
 * --node PATH runs the functions and both baselines on that Node binary (e.g. the deployed runtime's
 * major); the stand-ins and the load generator stay on the bench's own Node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from './load.mjs';
import { cpuMs, peakRssMiB, post, startFunction, timeFirst2xx } from './process.mjs';
import { buildReport, formatReport, HEADLINE_CONCURRENCY } from './report.mjs';
import { SIGNATURES, startScenario } from './scenario.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FUNCTIONS = ['onImagePush', 'onJobRequest', 'onJobStateChanged', 'webhook'];
const CONCURRENCIES = [1, HEADLINE_CONCURRENCY];
const SOURCES = {
  ours: join('dist', 'functions', 'index.js'),
  floor: join('bench', 'fixtures', 'floor', 'index.js'),
  hello: join('bench', 'fixtures', 'hello-world', 'index.js'),
};

function parseArgs(argv) {
  const value = (name, fallback) => {
    const at = argv.indexOf(name);
    return at >= 0 && argv[at + 1] !== undefined ? Number(argv[at + 1]) : fallback;
  };
  const nodeAt = argv.indexOf('--node');
  return {
    node: nodeAt >= 0 && argv[nodeAt + 1] !== undefined ? argv[nodeAt + 1] : process.execPath,
    json: argv.includes('--json'),
    build: !argv.includes('--no-build'),
    rounds: Math.min(20, Math.max(1, value('--rounds', 5))),
    durationMs: Math.min(30_000, Math.max(200, value('--duration', 3_000))),
    maxRequests: Math.min(100_000, Math.max(10, value('--max-requests', 5_000))),
  };
}

/** Progress goes to stderr, so stdout holds only the report. */
const progress = (text) => process.stderr.write(`${text}\n`);

function build() {
  progress('building dist/ (npm run build) …');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    const out = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    if (!existsSync(join(ROOT, SOURCES.ours))) throw new Error(`build failed:\n${out}`);
    progress(`build reported errors (using the emitted dist/ anyway):\n${out}`);
  }
}

/** `node --version` of the binary the functions run on; throws when it does not run. */
function nodeVersion(node) {
  const result = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`--node ${node} does not run: ${result.error ?? result.stderr}`);
  return result.stdout.trim();
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const runtime = { functions: nodeVersion(args.node), bench: process.version };
  progress(`functions on Node ${runtime.functions} (${args.node}); stand-ins and load on ${runtime.bench}`);
  if (args.build) build();
  const started = performance.now();
  // One image per round plus one for the warm-up pass, so every cold push launches a new job.
  const scenario = await startScenario({ root: ROOT, images: args.rounds + 1 });
  const running = new Set();
  const start = async (kind, target) => {
    const fn = await startFunction({
      root: ROOT,
      source: SOURCES[kind],
      target,
      signatureType: kind === 'hello' ? 'http' : SIGNATURES[target],
      env: scenario.env,
      node: args.node,
    });
    running.add(fn);
    return fn;
  };
  const stop = async (fn) => {
    await fn.stop();
    running.delete(fn);
  };
  try {
    const raw = {
      helloWorld: { listenMs: [], firstEventMs: [] },
      floors: Object.fromEntries(FUNCTIONS.map((f) => [f, { listenMs: [], firstEventMs: [] }])),
      functions: Object.fromEntries(FUNCTIONS.map((f) => [f, { listenMs: [], firstEventMs: [] }])),
    };
    let messages = 0;
    const eventFor = async (target, round) => {
      const id = `bench-${++messages}`;
      if (target === 'onImagePush') return scenario.imagePush(round, id);
      if (target === 'onJobRequest') return scenario.jobRequest(id);
      if (target === 'onJobStateChanged') return scenario.jobStateChanged(id);
      return scenario.plan();
    };
    const coldStart = async (kind, target, round, into) => {
      // Prepared before the spawn, so the clock only runs on the function.
      const event = kind === 'hello' ? { path: '/', headers: {}, body: 'x' } : await eventFor(target, round);
      const fn = await start(kind, kind === 'hello' ? 'helloWorld' : target);
      try {
        const firstEventMs = await timeFirst2xx(fn, (signal) =>
          post(`${fn.url}${event.path}`, event.body, event.headers, signal),
        );
        if (into) {
          into.listenMs.push(fn.listenMs);
          into.firstEventMs.push(firstEventMs);
        }
      } finally {
        await stop(fn);
      }
    };

    // Round 0 is a warm-up (page cache, and the job onJobStateChanged reports on); not recorded.
    for (let round = 0; round <= args.rounds; round++) {
      progress(round === 0 ? 'cold starts: warm-up pass' : `cold starts: round ${round}/${args.rounds}`);
      const record = round > 0;
      await coldStart('hello', 'helloWorld', round, record && raw.helloWorld);
      // onJobRequest first: its launch gives onJobStateChanged a job to report on.
      for (const target of ['onJobRequest', 'onImagePush', 'webhook', 'onJobStateChanged']) {
        await coldStart('floor', target, round, record && raw.floors[target]);
        await coldStart('ours', target, round, record && raw.functions[target]);
      }
    }

    // Warm load: hello-world, webhook POST /jobs:plan (no Batch), onImagePush of one digest.
    const loadTargets = [
      {
        key: 'hello',
        kind: 'hello',
        target: 'helloWorld',
        make: () => ({ path: '/', headers: {}, body: 'x' }),
      },
      { key: 'webhook', kind: 'ours', target: 'webhook', make: () => scenario.plan() },
      {
        key: 'onImagePush',
        kind: 'ours',
        target: 'onImagePush',
        // The same digest every time (image 0, launched in the warm-up pass): the manifest, repository
        // facts and API status are cached; each event is GetJob (found) + publish job.launched.
        make: (i) => scenario.imagePush(0, `load-${i}`),
      },
    ];
    for (const spec of loadTargets) {
      progress(`warm load: ${spec.key}`);
      const fn = await start(spec.kind, spec.target);
      try {
        await timeFirst2xx(fn, (signal) => {
          const first = spec.make(-1);
          return post(`${fn.url}${first.path}`, first.body, first.headers, signal);
        });
        const loads = {};
        let cpuPerEvent;
        for (const concurrency of CONCURRENCIES) {
          // A fixed request for the run (a fresh signature each time is the client's cost, not ours).
          const fixed = spec.key === 'onImagePush' ? undefined : spec.make(0);
          const cpuBefore = cpuMs(fn.pid);
          loads[concurrency] = await runLoad({
            port: fn.port,
            concurrency,
            durationMs: args.durationMs,
            maxRequests: args.maxRequests,
            makeRequest: (i) => fixed ?? spec.make(i),
          });
          const events = loads[concurrency].count + loads[concurrency].errors;
          if (concurrency === HEADLINE_CONCURRENCY && events > 0) {
            cpuPerEvent = (cpuMs(fn.pid) - cpuBefore) / events;
          }
        }
        const measured = { loads, cpuMsPerEvent: cpuPerEvent, peakRssMiB: peakRssMiB(fn.pid) };
        if (spec.kind === 'hello') raw.helloWorld.loads = loads;
        else Object.assign(raw.functions[spec.target], measured);
      } finally {
        await stop(fn);
      }
    }

    const report = { ...buildReport(raw), node: runtime };
    progress(`bench finished in ${Math.round((performance.now() - started) / 1000)} s`);
    // The human table always; with --json the report follows as the last stdout line.
    process.stdout.write(`functions on Node ${runtime.functions}\n${formatReport(report)}\n`);
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await Promise.allSettled([...running].map((fn) => fn.stop()));
    await scenario.close();
  }
}

main().then(
  // The stand-ins' gRPC channels may keep the loop alive a little; everything is closed by now.
  () => process.exit(0),
  (error) => {
    progress(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
