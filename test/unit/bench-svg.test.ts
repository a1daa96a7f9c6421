import { describe, expect, it } from 'vitest';
import type { BenchReport, FunctionReport } from '../../bench/report.mjs';
import { GOALS } from '../../bench/report.mjs';
import { chartRows, renderChart } from '../../bench/svg.mjs';

function fn(overrides: Partial<FunctionReport>): FunctionReport {
  return {
    listenMs: 200,
    coldStartRatio: 1,
    firstEventMs: 1000,
    firstEventRatio: 1.05,
    firstEventRatioClientsOnly: 1.4,
    firstEventCpuMs: null,
    firstEventCpuRatio: null,
    rps: null,
    rpsRatio: null,
    p50Ms: null,
    p99Ms: null,
    cpuMsPerEvent: null,
    peakRssMiB: null,
    peakRssMiBC1: null,
    loads: {},
    ...overrides,
  };
}

const report: BenchReport = {
  baseline: {
    helloWorld: { listenMs: 200, firstEventMs: 220, rps: 2000, p50Ms: 1, p99Ms: 2, loads: {} },
  },
  floors: {},
  functions: {
    onImagePush: fn({ cpuMsPerEvent: 4, peakRssMiB: 192, peakRssMiBC1: 128, firstEventCpuRatio: 1.2 }),
    'web<hook>': fn({ firstEventRatio: null, coldStartRatio: 1.3 }),
  },
  burst: {
    events: 1000,
    concurrency: 80,
    ours: {} as never,
    floor: {} as never,
    ratio: 1.6,
  },
};

describe('bench chart', () => {
  it('makes one row per measurement, each a ratio with its goal', () => {
    const rows = chartRows(report);
    const row = (start: string) => rows.find((r) => r.label.startsWith(start))!;
    expect(row('onImagePush first 2xx')).toMatchObject({
      value: 1.05,
      secondary: 1.4,
      goal: GOALS.firstEventRatio,
    });
    expect(row('onImagePush first-event CPU')).toMatchObject({ value: 1.2, goal: GOALS.firstEventRatio });
    expect(row('web<hook> listening')).toMatchObject({ value: 1.3, goal: GOALS.coldStartRatio });
    expect(row('onImagePush peak RSS')).toMatchObject({ value: 0.75, secondary: 0.5, goal: 1 });
    expect(row('onImagePush CPU')).toMatchObject({ value: 0.8, goal: 1 });
    expect(row('burst of 1000')).toMatchObject({ value: 1.6, goal: GOALS.burstRatio });
    // A function without load has no RSS row.
    expect(rows.some((r) => r.label.startsWith('web<hook> peak RSS'))).toBe(false);
  });

  it('renders well-formed SVG with a goal line per row, escaped labels and missing values named', () => {
    const svg = renderChart(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const rows = chartRows(report).length;
    expect(svg.match(/stroke="#d62728"/g)).toHaveLength(rows);
    expect(svg).toContain('web&lt;hook&gt; first 2xx');
    expect(svg).not.toContain('web<hook>');
    expect(svg).toContain('not measured');
    // Over its goal is orange, within it green.
    expect(svg).toContain('fill="#d08c2b"');
    expect(svg).toContain('fill="#3a7d44"');
    // The axis reaches past the largest ratio.
    expect(svg).toContain('>1.5<');
  });
});
