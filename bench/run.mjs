/* global performance */
/**
 * `npm run bench [-- --json] [--rounds N] [--duration MS] [--no-build] [--node PATH] [--burst N]
 *   [--profile DIR] [--svg FILE]`
 *
 * Measures streamgate's four functions against baselines taken in the same run: a
 * functions-framework hello-world, and two floors per function — "clients only" (hello-world plus
 * the Google clients that function constructs) and "calls" (the same, plus the very calls that
 * function's event makes, built by hand). Cold starts alternate baseline and ours so they share
 * noise; medians are reported as ratios. A burst of distinct pushes goes to one onImagePush process
 * and to the calls floor. Every function process runs with the heap cap Terraform deploys
 * (bench/heap.mjs). Loopback only; every process started is stopped.
 * It prints a human table; with --json the LAST stdout line is one JSON object (see docs/performance.md).
 * --node PATH runs the functions and the baselines on that Node binary (e.g. the deployed runtime's
 * major); the stand-ins and the load generator stay on the bench's own Node.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBurst } from './burst.mjs';
import { deployedHeap } from './heap.mjs';
import { runLoad } from './load.mjs';
import { cpuMs, peakRssMiB, post, startFunction, timeFirst2xx } from './process.mjs';
import { formatProfiles, summarizeProfile } from './profile.mjs';
import { buildReport, formatReport, HEADLINE_CONCURRENCY } from './report.mjs';
import { SIGNATURES, startScenario } from './scenario.mjs';
import { renderChart } from './svg.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FUNCTIONS = ['onImagePush', 'onJobRequest', 'onJobStateChanged', 'webhook'];
const CONCURRENCIES = [1, HEADLINE_CONCURRENCY];
const SOURCES = {
  ours: join('dist', 'functions', 'index.js'),
  floor: join('bench', 'fixtures', 'floor', 'index.js'),
  clientsOnly: join('bench', 'fixtures', 'floor', 'index.js'),
  hello: join('bench', 'fixtures', 'hello-world', 'index.js'),
};

function parseArgs(argv) {
  const text = (name) => {
    const at = argv.indexOf(name);
    return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1] : undefined;
  };
  const value = (name, fallback) => (text(name) === undefined ? fallback : Number(text(name)));
  return {
    node: text('--node') ?? process.execPath,
    json: argv.includes('--json'),
    build: !argv.includes('--no-build'),
    rounds: Math.min(20, Math.max(1, value('--rounds', 5))),
    durationMs: Math.min(30_000, Math.max(200, value('--duration', 3_000))),
    maxRequests: Math.min(100_000, Math.max(10, value('--max-requests', 5_000))),
    burst: Math.min(5_000, Math.max(0, value('--burst', 1_000))),
    profileDir: text('--profile') === undefined ? undefined : resolve(text('--profile')),
    svg: text('--svg') === undefined ? undefined : resolve(text('--svg')),
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

/** Starts and stops the function processes of one run, each with the deployed heap cap. */
function processes({ args, scenario, heap, scratch }) {
  const running = new Set();
  let files = 0;
  return {
    /** `calls`: the floor's fixed requests (written to a file the floor reads). */
    async start(kind, target, { calls, nodeArgs = [] } = {}) {
      const env = { ...scenario.env, NODE_OPTIONS: heap.nodeOptions };
      if (calls) {
        env.BENCH_FLOOR_CALLS_FILE = join(scratch, `floor-${++files}.json`);
        writeFileSync(env.BENCH_FLOOR_CALLS_FILE, JSON.stringify(calls));
      }
      const fn = await startFunction({
        root: ROOT,
        source: SOURCES[kind],
        target,
        signatureType: kind === 'hello' ? 'http' : SIGNATURES[target],
        env,
        node: args.node,
        nodeArgs,
      });
      running.add(fn);
      return fn;
    },
    async stop(fn) {
      await fn.stop();
      running.delete(fn);
    },
    stopAll: () => Promise.allSettled([...running].map((fn) => fn.stop())),
  };
}

/** The event each function gets on a cold start, and the floor's fixed request for it. */
function coldEvents(scenario) {
  let messages = 0;
  return {
    async event(target, round) {
      const id = `bench-${++messages}`;
      if (target === 'onImagePush') return scenario.imagePush(round, id);
      if (target === 'onJobRequest') return scenario.jobRequest(id);
      if (target === 'onJobStateChanged') return scenario.jobStateChanged(id);
      // A launch (POST /jobs), so the webhook's first event makes the same calls as the others'.
      return scenario.createJob(id);
    },
    floorCalls(target, round) {
      if (target === 'onJobStateChanged') return [scenario.notificationCalls()];
      return [
        scenario.launchCalls(target === 'onImagePush' ? round : 0, { viaTag: target !== 'onImagePush' }),
      ];
    },
  };
}

async function coldStarts({ args, procs, scenario, raw }) {
  const events = coldEvents(scenario);
  const hello = { path: '/', headers: {}, body: 'x' };
  const coldStart = async (kind, target, round, into, options = {}) => {
    // Prepared before the spawn, so the clock only runs on the function.
    const event = kind === 'hello' ? hello : await events.event(target, round);
    const calls = kind === 'floor' ? events.floorCalls(target, round) : undefined;
    const fn = await procs.start(kind, kind === 'hello' ? 'helloWorld' : target, { calls, ...options });
    try {
      const firstEventMs = await timeFirst2xx(fn, (signal) =>
        post(`${fn.url}${event.path}`, event.body, event.headers, signal),
      );
      // The process's own CPU until its answer: unlike the wall time, other load barely moves it.
      const firstEventCpuMs = cpuMs(fn.pid);
      if (into) {
        into.listenMs.push(fn.listenMs);
        into.firstEventMs.push(firstEventMs);
        into.firstEventCpuMs.push(firstEventCpuMs);
      }
    } finally {
      await procs.stop(fn);
    }
  };
  // Round 0 is a warm-up (page cache, and the job onJobStateChanged reports on); not recorded.
  for (let round = 0; round <= args.rounds; round++) {
    progress(round === 0 ? 'cold starts: warm-up pass' : `cold starts: round ${round}/${args.rounds}`);
    const record = round > 0;
    await coldStart('hello', 'helloWorld', round, record && raw.helloWorld);
    // onJobRequest first: its launch gives onJobStateChanged a job to report on.
    // The order flips every round: whatever one cold start leaves behind (the stand-ins finishing
    // its job, the page cache) then weighs on ours and on the floors alike.
    const kinds = round % 2 === 1 ? ['clientsOnly', 'floor', 'ours'] : ['ours', 'floor', 'clientsOnly'];
    const into = { clientsOnly: raw.clientsOnlyFloors, floor: raw.floors, ours: raw.functions };
    for (const target of ['onJobRequest', 'onImagePush', 'webhook', 'onJobStateChanged']) {
      for (const kind of kinds) await coldStart(kind, target, round, record && into[kind][target]);
    }
  }
  if (args.profileDir) raw.profiles = await profiles({ args, coldStart });
}

/** One more cold start of ours and of the calls floor per function under `--cpu-prof`, summarised. */
async function profiles({ args, coldStart }) {
  mkdirSync(args.profileDir, { recursive: true });
  const result = {};
  for (const target of FUNCTIONS) {
    progress(`cpu profile of the first event: ${target} (ours, then the calls floor)`);
    const summaries = {};
    for (const kind of ['ours', 'floor']) {
      const dir = join(args.profileDir, `${target}-${kind}`);
      rmSync(dir, { recursive: true, force: true });
      await coldStart(kind, target, args.rounds + 1, undefined, {
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      });
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      summaries[kind] = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    }
    result[target] = summaries;
  }
  return result;
}

/** Warm load: hello-world, webhook POST /jobs:plan (no Batch), onImagePush of one digest. */
async function warmLoads({ args, procs, scenario, raw }) {
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
    const fn = await procs.start(spec.kind, spec.target);
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
        const load = await runLoad({
          port: fn.port,
          concurrency,
          durationMs: args.durationMs,
          maxRequests: args.maxRequests,
          makeRequest: (i) => fixed ?? spec.make(i),
        });
        // VmHWM only grows, so after c=1 it is the peak at c=1, after c=80 the peak of the whole run.
        loads[concurrency] = { ...load, peakRssMiB: peakRssMiB(fn.pid) };
        const events = load.count + load.errors;
        if (concurrency === HEADLINE_CONCURRENCY && events > 0) {
          cpuPerEvent = (cpuMs(fn.pid) - cpuBefore) / events;
        }
      }
      const measured = { loads, cpuMsPerEvent: cpuPerEvent, peakRssMiB: peakRssMiB(fn.pid) };
      if (spec.kind === 'hello') raw.helloWorld.loads = loads;
      else Object.assign(raw.functions[spec.target], measured);
    } finally {
      await procs.stop(fn);
    }
  }
}

/** The burst: `size` distinct pushes at c=80 to one onImagePush process, then to the calls floor. */
async function burst({ args, procs, scenario }) {
  progress(`burst: pushing ${args.burst} distinct images to the registry stand-in …`);
  const images = await scenario.pushBurstImages(args.burst, (n) => progress(`  ${n} pushed`));
  const result = {};
  for (const kind of ['ours', 'floor']) {
    progress(`burst: ${args.burst} push events to ${kind === 'ours' ? 'onImagePush' : 'the calls floor'}`);
    const prefix = `floor-burst-${Date.now().toString(36)}`;
    const calls =
      kind === 'floor'
        ? // The first request warms the floor, as image 0's push warms ours.
          [
            scenario.launchCalls(0),
            ...images.images.map((_, i) => scenario.launchCalls(i, { images: images.images, prefix })),
          ]
        : undefined;
    const fn = await procs.start(kind, 'onImagePush', { calls });
    try {
      const warm = scenario.imagePush(0, `burst-warm-${kind}`);
      await timeFirst2xx(fn, (signal) => post(`${fn.url}${warm.path}`, warm.body, warm.headers, signal));
      result[kind] = await runBurst({
        fn,
        concurrency: HEADLINE_CONCURRENCY,
        events: images.images.map((_, i) => images.event(i, `burst-${kind}-${i}`)),
        jobs: () => scenario.burstJobs(kind === 'ours' ? { images: images.images } : { prefix }),
      });
    } finally {
      await procs.stop(fn);
    }
  }
  return result;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const runtime = { functions: nodeVersion(args.node), bench: process.version };
  progress(`functions on Node ${runtime.functions} (${args.node}); stand-ins and load on ${runtime.bench}`);
  if (args.build) build();
  const heap = await deployedHeap(ROOT);
  progress(`functions run with NODE_OPTIONS=${heap.nodeOptions} (function_memory ${heap.memory})`);
  const started = performance.now();
  // One image per round plus one for the warm-up pass and one for the profile, so every cold push launches a new job.
  const scenario = await startScenario({ root: ROOT, images: args.rounds + 2 });
  const scratch = mkdtempSync(join(tmpdir(), 'streamgate-bench-'));
  const procs = processes({ args, scenario, heap, scratch });
  try {
    const cold = () => ({ listenMs: [], firstEventMs: [], firstEventCpuMs: [] });
    const raw = {
      helloWorld: cold(),
      floors: Object.fromEntries(FUNCTIONS.map((f) => [f, cold()])),
      clientsOnlyFloors: Object.fromEntries(FUNCTIONS.map((f) => [f, cold()])),
      functions: Object.fromEntries(FUNCTIONS.map((f) => [f, cold()])),
    };
    const context = { args, procs, scenario, raw };
    await coldStarts(context);
    await warmLoads(context);
    if (args.burst > 0) raw.burst = await burst(context);

    const report = { ...buildReport(raw), node: runtime, heap };
    if (raw.profiles) report.profiles = raw.profiles;
    progress(`bench finished in ${Math.round((performance.now() - started) / 1000)} s`);
    if (args.svg) {
      writeFileSync(args.svg, renderChart(report));
      progress(`chart written to ${args.svg}`);
    }
    // The human table always; with --json the report follows as the last stdout line.
    process.stdout.write(
      `functions on Node ${runtime.functions}, ${heap.nodeOptions}\n${formatReport(report)}\n`,
    );
    if (report.profiles) process.stdout.write(`\n${formatProfiles(report.profiles)}\n`);
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await procs.stopAll();
    await scenario.close();
    rmSync(scratch, { recursive: true, force: true });
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
