/**
 * Pure report math for the benchmark: medians, percentiles, ratios against the baselines measured
 * in the same run, goal verdicts and the human table. No I/O and no clock, so it is unit tested
 * (test/unit/bench-report.test.ts) without running anything.
 */

/** The goals `npm run bench` checks (docs/performance.md explains each). */
export const GOALS = Object.freeze({
  coldStartRatio: 1.2,
  firstEventRatio: 1.1,
  peakRssMiB: 256,
  cpuMsPerPushEvent: 5,
  burstRatio: 1.3,
});

/** The concurrency whose numbers are the headline `rps`/`p50Ms`/`p99Ms` fields. */
export const HEADLINE_CONCURRENCY = 80;

/**
 * Median of finite numbers (mean of the middle two for an even count); null when there are none.
 *
 * @example median([3, 1, 2]) // 2
 */
export function median(values) {
  const sorted = finiteSorted(values);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Nearest-rank percentile (p in (0, 100]); null when there are no values.
 *
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(values, p) {
  const sorted = finiteSorted(values);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((Math.min(100, Math.max(p, 0)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

/** `ours / base`, rounded to 2 decimals; null when either is missing or the base is not positive. */
export function ratio(ours, base) {
  if (!isNum(ours) || !isNum(base) || base <= 0) return null;
  return round(ours / base, 2);
}

/** Rounds to `digits` decimals, keeping null as null. */
export function round(value, digits = 1) {
  if (!isNum(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Summarises one load run from its raw latencies (ms) and wall time (ms).
 *
 * @example summarizeLoad({ latenciesMs: [1, 2, 3], wallMs: 1000, errors: 0 }) // { count: 3, rps: 3, … }
 */
export function summarizeLoad({ latenciesMs, wallMs, errors = 0 }) {
  const count = latenciesMs.length;
  return {
    count,
    errors,
    rps: wallMs > 0 ? round((count * 1000) / wallMs, 0) : null,
    p50Ms: round(percentile(latenciesMs, 50), 2),
    p99Ms: round(percentile(latenciesMs, 99), 2),
  };
}

/**
 * Turns raw measurements into the published JSON report.
 *
 * Raw shape: `{ helloWorld: { listenMs[], firstEventMs[], loads: { [c]: load } },
 *   floors: { [fn]: coldStarts }, clientsOnlyFloors?: { [fn]: coldStarts },
 *   functions: { [fn]: coldStarts & { loads?: { [c]: load & { peakRssMiB? } }, cpuMsPerEvent?, peakRssMiB? } },
 *   burst?: { ours: burstRun, floor: burstRun } }`
 * where `coldStarts` is `{ listenMs[], firstEventMs[], firstEventCpuMs?[] }` (CPU: the process's own until its first answer), `load` a `summarizeLoad` result and
 * `burstRun` a `runBurst` result (bench/burst.mjs). `floors` are the fair floors (the same calls);
 * `firstEventRatio` divides by them, `firstEventRatioClientsOnly` by the clients-only floors.
 */
export function buildReport(raw) {
  const hello = raw.helloWorld;
  const helloListen = median(hello.listenMs);
  const helloLoads = hello.loads ?? {};
  const helloHeadline = helloLoads[HEADLINE_CONCURRENCY] ?? {};
  const coldMedians = (cold) => ({
    listenMs: round(median(cold?.listenMs)),
    firstEventMs: round(median(cold?.firstEventMs)),
    firstEventCpuMs: round(median(cold?.firstEventCpuMs ?? [])),
  });
  const floors = {};
  for (const name of new Set([
    ...Object.keys(raw.floors ?? {}),
    ...Object.keys(raw.clientsOnlyFloors ?? {}),
  ])) {
    floors[name] = {
      calls: coldMedians(raw.floors?.[name]),
      clientsOnly: coldMedians(raw.clientsOnlyFloors?.[name]),
    };
  }
  const functions = {};
  for (const [name, fn] of Object.entries(raw.functions ?? {})) {
    functions[name] = functionReport(fn, { helloListen, helloLoads, floor: floors[name] });
  }
  const report = {
    baseline: {
      helloWorld: {
        listenMs: round(helloListen),
        firstEventMs: round(median(hello.firstEventMs)),
        rps: helloHeadline.rps ?? null,
        p50Ms: helloHeadline.p50Ms ?? null,
        p99Ms: helloHeadline.p99Ms ?? null,
        loads: helloLoads,
      },
    },
    floors,
    functions,
  };
  if (raw.burst) report.burst = burstReport(raw.burst);
  return report;
}

function functionReport(fn, { helloListen, helloLoads, floor }) {
  const listenMs = median(fn.listenMs);
  const firstEventMs = median(fn.firstEventMs);
  const loads = {};
  for (const [c, load] of Object.entries(fn.loads ?? {})) {
    loads[c] = { ...load, rpsRatio: ratio(load.rps, helloLoads[c]?.rps) };
    if (load.peakRssMiB !== undefined) loads[c].peakRssMiB = round(load.peakRssMiB, 1);
  }
  const headline = loads[HEADLINE_CONCURRENCY] ?? {};
  return {
    listenMs: round(listenMs),
    coldStartRatio: ratio(listenMs, helloListen),
    firstEventMs: round(firstEventMs),
    firstEventRatio: ratio(firstEventMs, floor?.calls.firstEventMs),
    firstEventRatioClientsOnly: ratio(firstEventMs, floor?.clientsOnly.firstEventMs),
    firstEventCpuMs: round(median(fn.firstEventCpuMs ?? [])),
    firstEventCpuRatio: ratio(median(fn.firstEventCpuMs ?? []), floor?.calls.firstEventCpuMs),
    rps: headline.rps ?? null,
    rpsRatio: headline.rpsRatio ?? null,
    p50Ms: headline.p50Ms ?? null,
    p99Ms: headline.p99Ms ?? null,
    cpuMsPerEvent: round(fn.cpuMsPerEvent ?? null, 2),
    peakRssMiB: round(fn.peakRssMiB ?? null, 1),
    peakRssMiBC1: loads[1]?.peakRssMiB ?? null,
    loads,
  };
}

function burstRun(run) {
  return {
    wallMs: round(run.wallMs, 0),
    answeredMs: round(run.answeredMs, 0),
    eventsPerSec: run.wallMs > 0 ? round((run.events * 1000) / run.wallMs, 1) : null,
    cpuMsPerEvent: round(run.cpuMsPerEvent, 2),
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    peakRssMiB: round(run.peakRssMiB, 1),
    errors: run.errors,
    jobs: run.jobs,
    duplicates: run.duplicates,
  };
}

/** The burst: each side's numbers, and ours' wall time (until every job exists) over the floor's. */
function burstReport(raw) {
  return {
    events: raw.ours.events,
    concurrency: HEADLINE_CONCURRENCY,
    ours: burstRun(raw.ours),
    floor: burstRun(raw.floor),
    ratio: ratio(raw.ours.wallMs, raw.floor.wallMs),
  };
}

/**
 * The goal verdicts for a report: one row per goal and function that has the number. A missing
 * number is a MISS (the bench failed to measure it), never a silent pass.
 */
export function evaluateGoals(report) {
  const rows = [];
  const check = (goal, fn, value, limit, pass = isNum(value) && value <= limit, want = `<= ${limit}`) =>
    rows.push({ goal, function: fn, value, limit, pass, want });
  for (const [name, fn] of Object.entries(report.functions)) {
    check('time to listening / hello-world', name, fn.coldStartRatio, GOALS.coldStartRatio);
    check('time to first 2xx / floor', name, fn.firstEventRatio, GOALS.firstEventRatio);
    if (Object.keys(fn.loads ?? {}).length > 0) {
      check(`peak RSS MiB at c=${HEADLINE_CONCURRENCY}`, name, fn.peakRssMiB, GOALS.peakRssMiB);
    }
  }
  const push = report.functions.onImagePush;
  if (push && Object.keys(push.loads ?? {}).length > 0) {
    check(
      'CPU ms per push event (cached manifest)',
      'onImagePush',
      push.cpuMsPerEvent,
      GOALS.cpuMsPerPushEvent,
    );
  }
  const burst = report.burst;
  if (burst) {
    check(`burst of ${burst.events}: wall time / floor`, 'onImagePush', burst.ratio, GOALS.burstRatio);
    for (const side of ['ours', 'floor']) {
      const run = burst[side];
      check(
        `burst of ${burst.events} (${side}): jobs, exactly one per event`,
        'onImagePush',
        run.jobs,
        burst.events,
        run.jobs === burst.events && run.duplicates === 0,
        `exactly ${burst.events}, ${run.duplicates} duplicates seen`,
      );
    }
  }
  return rows;
}

/** The human report: baselines, per-function table, load table and goal verdicts. */
export function formatReport(report) {
  const lines = [];
  const hello = report.baseline.helloWorld;
  lines.push('Baselines (medians, same run, same machine)');
  lines.push(
    table(
      ['baseline', 'listen ms', 'first 2xx ms', 'CPU ms'],
      [
        ['hello-world', fmt(hello.listenMs), fmt(hello.firstEventMs), ''],
        ...Object.entries(report.floors ?? {}).flatMap(([name, f]) => [
          [
            `floor ${name} (calls)`,
            fmt(f.calls.listenMs),
            fmt(f.calls.firstEventMs),
            fmt(f.calls.firstEventCpuMs),
          ],
          [
            `floor ${name} (clients only)`,
            fmt(f.clientsOnly.listenMs),
            fmt(f.clientsOnly.firstEventMs),
            fmt(f.clientsOnly.firstEventCpuMs),
          ],
        ]),
      ],
    ),
  );
  lines.push('', 'Cold start (medians)');
  lines.push(
    table(
      [
        'function',
        'listen ms',
        'x hello',
        'first 2xx ms',
        'x floor',
        'x clients-only floor',
        'CPU ms',
        'CPU x floor',
      ],
      Object.entries(report.functions).map(([name, f]) => [
        name,
        fmt(f.listenMs),
        fmt(f.coldStartRatio),
        fmt(f.firstEventMs),
        fmt(f.firstEventRatio),
        fmt(f.firstEventRatioClientsOnly),
        fmt(f.firstEventCpuMs),
        fmt(f.firstEventCpuRatio),
      ]),
    ),
  );
  const loadRows = [];
  for (const [c, load] of Object.entries(hello.loads ?? {})) {
    loadRows.push(['hello-world', c, fmt(load.rps), '1', fmt(load.p50Ms), fmt(load.p99Ms), '', '']);
  }
  for (const [name, f] of Object.entries(report.functions)) {
    for (const [c, load] of Object.entries(f.loads ?? {})) {
      const headline = Number(c) === HEADLINE_CONCURRENCY;
      loadRows.push([
        name,
        c,
        fmt(load.rps),
        fmt(load.rpsRatio),
        fmt(load.p50Ms),
        fmt(load.p99Ms),
        headline ? fmt(f.cpuMsPerEvent) : '',
        fmt(load.peakRssMiB ?? (headline ? f.peakRssMiB : null)),
      ]);
    }
  }
  if (loadRows.length > 0) {
    lines.push('', 'Warm load');
    lines.push(
      table(
        ['target', 'conc', 'rps', 'x hello', 'p50 ms', 'p99 ms', 'CPU ms/event', 'peak RSS MiB'],
        loadRows,
      ),
    );
  }
  if (report.burst) {
    const b = report.burst;
    lines.push('', `Burst: ${b.events} distinct pushes at c=${b.concurrency} to one process`);
    lines.push(
      table(
        [
          'target',
          'wall ms',
          'events/s',
          'CPU ms/event',
          'p50 ms',
          'p99 ms',
          'peak RSS MiB',
          'errors',
          'jobs',
          'dups',
        ],
        ['ours', 'floor'].map((side) => {
          const r = b[side];
          return [
            side === 'ours' ? 'onImagePush' : 'floor (calls)',
            fmt(r.wallMs),
            fmt(r.eventsPerSec),
            fmt(r.cpuMsPerEvent),
            fmt(r.p50Ms),
            fmt(r.p99Ms),
            fmt(r.peakRssMiB),
            fmt(r.errors),
            fmt(r.jobs),
            fmt(r.duplicates),
          ];
        }),
      ),
    );
  }
  lines.push('', 'Goals');
  for (const row of evaluateGoals(report)) {
    lines.push(
      `${row.pass ? 'PASS' : 'MISS'}  ${row.function}: ${row.goal} = ${fmt(row.value)} (goal ${row.want})`,
    );
  }
  return lines.join('\n');
}

/** A plain-text table with right-aligned numeric columns. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) =>
    cells
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function fmt(value) {
  return isNum(value) ? String(value) : '-';
}

function isNum(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

function finiteSorted(values) {
  return (values ?? []).filter(isNum).sort((a, b) => a - b);
}
