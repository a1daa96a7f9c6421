/** Types of bench/svg.mjs (plain JS so `npm run bench` needs no loader). */
import type { BenchReport } from './report.mjs';

export interface ChartRow {
  label: string;
  value: number | null;
  goal: number;
  secondary?: number | null;
}

export function chartRows(report: BenchReport): ChartRow[];
export function renderChart(report: BenchReport, options?: { title?: string }): string;
