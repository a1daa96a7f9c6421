import { describe, expect, it } from 'vitest';
import {
  buildReport,
  evaluateGoals,
  formatReport,
  GOALS,
  median,
  percentile,
  ratio,
  summarizeLoad,
  type RawMeasurements,
} from '../../bench/report.mjs';

function raw(overrides: Partial<RawMeasurements> = {}): RawMeasurements {
  return {
    helloWorld: {
      listenMs: [200, 220, 210],
      firstEventMs: [230, 250, 240],
      loads: {
        '1': { count: 1000, errors: 0, rps: 1000, p50Ms: 1, p99Ms: 3 },
        '80': { count: 4000, errors: 0, rps: 2000, p50Ms: 40, p99Ms: 90 },
      },
    },
    floors: {
      onImagePush: {
        listenMs: [210, 215, 205],
        firstEventMs: [1000, 1100, 900],
        firstEventCpuMs: [800, 820, 810],
      },
      onJobStateChanged: { listenMs: [210], firstEventMs: [800] },
    },
    clientsOnlyFloors: {
      onImagePush: { listenMs: [200], firstEventMs: [700] },
      onJobStateChanged: { listenMs: [200], firstEventMs: [500] },
    },
    functions: {
      onImagePush: {
        listenMs: [230, 250, 240],
        firstEventMs: [1050, 1000, 1100],
        firstEventCpuMs: [1000, 972, 990],
        loads: {
          '1': { count: 100, errors: 0, rps: 100, p50Ms: 10, p99Ms: 20, peakRssMiB: 150.04 },
          '80': { count: 500, errors: 2, rps: 500, p50Ms: 150, p99Ms: 400, peakRssMiB: 200.04 },
        },
        cpuMsPerEvent: 3.456,
        peakRssMiB: 200.04,
      },
      onJobStateChanged: { listenMs: [300], firstEventMs: [1000] },
    },
    burst: {
      ours: burstRun({ wallMs: 12_000, jobs: 1000 }),
      floor: burstRun({ wallMs: 10_000, jobs: 1000 }),
    },
    ...overrides,
  };
}

function burstRun(run: { wallMs: number; jobs: number; duplicates?: number }) {
  return {
    events: 1000,
    answeredMs: run.wallMs - 5,
    cpuMsPerEvent: 6.789,
    peakRssMiB: 190.06,
    p50Ms: 800,
    p99Ms: 3000,
    errors: 0,
    duplicates: 0,
    ...run,
  };
}

describe('bench statistics', () => {
  it('takes medians of odd and even counts and ignores non-numbers', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNull();
  });

  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('divides ours by the base and refuses a missing or zero base', () => {
    expect(ratio(330, 300)).toBe(1.1);
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(5, 0)).toBeNull();
    expect(ratio(null, 10)).toBeNull();
    expect(ratio(10, undefined)).toBeNull();
  });

  it('summarises a load run into rps and latency percentiles', () => {
    const summary = summarizeLoad({ latenciesMs: [4, 1, 3, 2], wallMs: 2000, errors: 1 });
    expect(summary).toEqual({ count: 4, errors: 1, rps: 2, p50Ms: 2, p99Ms: 4 });
    expect(summarizeLoad({ latenciesMs: [], wallMs: 0 }).rps).toBeNull();
  });
});

describe('buildReport', () => {
  const report = buildReport(raw());

  it('reports baselines as medians, both floors per function', () => {
    expect(report.baseline.helloWorld).toMatchObject({ listenMs: 210, firstEventMs: 240, rps: 2000 });
    expect(report.floors.onImagePush).toEqual({
      calls: { listenMs: 210, firstEventMs: 1000, firstEventCpuMs: 810 },
      clientsOnly: { listenMs: 200, firstEventMs: 700, firstEventCpuMs: null },
    });
  });

  it('divides the first event by both floors and keeps RSS at c=1 and c=80', () => {
    const push = report.functions.onImagePush!;
    expect(push.firstEventRatioClientsOnly).toBe(1.5);
    expect(push).toMatchObject({ firstEventCpuMs: 990, firstEventCpuRatio: 1.22 });
    expect(report.functions.onJobStateChanged).toMatchObject({
      firstEventCpuMs: null,
      firstEventCpuRatio: null,
    });
    expect(push.peakRssMiBC1).toBe(150);
    expect(push.loads['80']!.peakRssMiB).toBe(200);
  });

  it('reports the burst per side and ours over the floor', () => {
    expect(report.burst).toMatchObject({ events: 1000, concurrency: 80, ratio: 1.2 });
    expect(report.burst!.ours).toMatchObject({
      wallMs: 12_000,
      eventsPerSec: 83.3,
      cpuMsPerEvent: 6.79,
      jobs: 1000,
    });
    expect(buildReport(raw({ burst: undefined })).burst).toBeUndefined();
  });

  it('divides cold start by hello-world and the first event by the same function floor', () => {
    const push = report.functions.onImagePush!;
    expect(push.listenMs).toBe(240);
    expect(push.coldStartRatio).toBe(ratio(240, 210));
    expect(push.firstEventMs).toBe(1050);
    expect(push.firstEventRatio).toBe(1.05);
    // onJobStateChanged is divided by its own (cheaper) floor, not onImagePush's.
    expect(report.functions.onJobStateChanged!.firstEventRatio).toBe(1.25);
  });

  it('compares throughput with hello-world at the same concurrency and heads with c=80', () => {
    const push = report.functions.onImagePush!;
    expect(push.loads['1']!.rpsRatio).toBe(0.1);
    expect(push.loads['80']!.rpsRatio).toBe(0.25);
    expect(push).toMatchObject({ rps: 500, rpsRatio: 0.25, p50Ms: 150, p99Ms: 400 });
    expect(push.cpuMsPerEvent).toBe(3.46);
    expect(push.peakRssMiB).toBe(200);
  });

  it('leaves load fields null for a function that was not loaded', () => {
    expect(report.functions.onJobStateChanged).toMatchObject({
      rps: null,
      rpsRatio: null,
      cpuMsPerEvent: null,
      peakRssMiB: null,
    });
  });

  it('serialises to one JSON line with the documented keys', () => {
    const line = JSON.stringify(report);
    expect(line).not.toContain('\n');
    expect(Object.keys(JSON.parse(line))).toEqual(['baseline', 'floors', 'functions', 'burst']);
    expect(Object.keys(report.functions.onImagePush!)).toEqual(
      expect.arrayContaining([
        'listenMs',
        'coldStartRatio',
        'firstEventMs',
        'firstEventRatio',
        'rps',
        'rpsRatio',
        'p50Ms',
        'p99Ms',
        'cpuMsPerEvent',
        'peakRssMiB',
      ]),
    );
  });
});

describe('goals', () => {
  it('passes and misses each goal against its limit', () => {
    const rows = evaluateGoals(buildReport(raw()));
    const row = (fn: string, goal: string) => rows.find((r) => r.function === fn && r.goal.startsWith(goal));
    expect(row('onImagePush', 'time to listening')).toMatchObject({
      pass: true,
      limit: GOALS.coldStartRatio,
    });
    expect(row('onImagePush', 'time to first 2xx')).toMatchObject({ value: 1.05, pass: true });
    expect(row('onJobStateChanged', 'time to listening')).toMatchObject({ pass: false });
    expect(row('onJobStateChanged', 'time to first 2xx')).toMatchObject({ value: 1.25, pass: false });
    expect(row('onImagePush', 'peak RSS')).toMatchObject({ value: 200, pass: true });
    expect(row('onImagePush', 'CPU ms per push event')).toMatchObject({ value: 3.46, pass: true });
    // No load was run for onJobStateChanged, so it has no RSS goal row at all.
    expect(row('onJobStateChanged', 'peak RSS')).toBeUndefined();
    expect(row('onImagePush', 'burst of 1000: wall time')).toMatchObject({
      value: 1.2,
      pass: true,
      limit: 1.3,
    });
    expect(row('onImagePush', 'burst of 1000 (ours)')).toMatchObject({ value: 1000, pass: true });
  });

  it('misses the burst on a slow burst, a missing job or a duplicate', () => {
    const rows = (ours: Parameters<typeof burstRun>[0]) =>
      evaluateGoals(
        buildReport(
          raw({ burst: { ours: burstRun(ours), floor: burstRun({ wallMs: 10_000, jobs: 1000 }) } }),
        ),
      );
    const burst = (r: ReturnType<typeof rows>, goal: string) => r.find((x) => x.goal.includes(goal))!;
    expect(burst(rows({ wallMs: 13_500, jobs: 1000 }), 'wall time')).toMatchObject({
      value: 1.35,
      pass: false,
    });
    expect(burst(rows({ wallMs: 10_000, jobs: 999 }), '(ours)')).toMatchObject({ value: 999, pass: false });
    const doubled = burst(rows({ wallMs: 10_000, jobs: 1000, duplicates: 1 }), '(ours)');
    expect(doubled).toMatchObject({ pass: false, want: 'exactly 1000, 1 duplicates seen' });
  });

  it('counts a missing number as a miss', () => {
    const measured = raw();
    measured.floors = {};
    const rows = evaluateGoals(buildReport(measured));
    const firstEvent = rows.filter((r) => r.goal.startsWith('time to first 2xx'));
    expect(firstEvent.length).toBeGreaterThan(0);
    expect(firstEvent.every((r) => r.value === null && !r.pass)).toBe(true);
  });

  it('prints PASS/MISS lines with the numbers in the human report', () => {
    const text = formatReport(buildReport(raw()));
    expect(text).toContain('PASS  onImagePush: time to first 2xx / floor = 1.05 (goal <= 1.1)');
    expect(text).toContain('MISS  onJobStateChanged: time to first 2xx / floor = 1.25 (goal <= 1.1)');
    expect(text).toMatch(/onImagePush\s+80\s+500\s+0\.25\s+150\s+400\s+3\.46\s+200/);
    expect(text).toMatch(/onImagePush\s+1\s+100\s+0\.1\s+10\s+20\s+150/);
    expect(text).toMatch(/floor onImagePush \(clients only\)\s+200\s+700/);
    expect(text).toMatch(/onImagePush\s+12000\s+83\.3\s+6\.79/);
    expect(text).toContain(
      'PASS  onImagePush: burst of 1000 (ours): jobs, exactly one per event = 1000 (goal exactly 1000, 0 duplicates seen)',
    );
  });
});
