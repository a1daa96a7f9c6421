/**
 * The bench's one chart, as plain SVG text (no DOM, no canvas, no dependency): one row per
 * measurement, its bar the measurement divided by its baseline, and each row's goal drawn as a red
 * line across it. Pure, so it is unit tested (test/unit/bench-svg.test.ts).
 */
import { GOALS, HEADLINE_CONCURRENCY } from './report.mjs';

const WIDTH = 800;
const LABEL_WIDTH = 300;
const ROW = 22;
const TOP = 48;
const BAR = 14;

/**
 * The rows the chart shows: `{ label, value, goal, secondary? }`, every value a ratio (× its
 * baseline, or ÷ its budget where the goal is an absolute number). Null values stay null.
 */
export function chartRows(report) {
  const rows = [];
  for (const [name, f] of Object.entries(report.functions ?? {})) {
    rows.push({
      label: `${name} first 2xx ÷ floor`,
      value: f.firstEventRatio,
      secondary: f.firstEventRatioClientsOnly,
      goal: GOALS.firstEventRatio,
    });
  }
  for (const [name, f] of Object.entries(report.functions ?? {})) {
    // The same first event by CPU, which other load on the machine barely moves.
    rows.push({
      label: `${name} first-event CPU ÷ floor's`,
      value: f.firstEventCpuRatio,
      goal: GOALS.firstEventRatio,
    });
  }
  for (const [name, f] of Object.entries(report.functions ?? {})) {
    rows.push({
      label: `${name} listening ÷ hello-world`,
      value: f.coldStartRatio,
      goal: GOALS.coldStartRatio,
    });
  }
  for (const [name, f] of Object.entries(report.functions ?? {})) {
    if (f.peakRssMiB === null || f.peakRssMiB === undefined) continue;
    rows.push({
      label: `${name} peak RSS c=${HEADLINE_CONCURRENCY} ÷ ${GOALS.peakRssMiB} MiB`,
      value: f.peakRssMiB / GOALS.peakRssMiB,
      secondary: typeof f.peakRssMiBC1 === 'number' ? f.peakRssMiBC1 / GOALS.peakRssMiB : null,
      goal: 1,
    });
  }
  const push = report.functions?.onImagePush;
  if (typeof push?.cpuMsPerEvent === 'number') {
    rows.push({
      label: `onImagePush CPU ms/event ÷ ${GOALS.cpuMsPerPushEvent} ms`,
      value: push.cpuMsPerEvent / GOALS.cpuMsPerPushEvent,
      goal: 1,
    });
  }
  if (report.burst) {
    rows.push({
      label: `burst of ${report.burst.events}: wall ÷ floor's`,
      value: report.burst.ratio,
      goal: GOALS.burstRatio,
    });
  }
  return rows;
}

/**
 * Renders `report` (buildReport's result) as an SVG document.
 *
 * @example writeFileSync('docs/bench.svg', renderChart(report));
 */
export function renderChart(report, { title = 'streamgate bench: measurement ÷ baseline (red: goal)' } = {}) {
  const rows = chartRows(report);
  const numbers = rows.flatMap((r) => [r.value, r.secondary, r.goal]).filter(isNum);
  const max = Math.max(1.5, Math.ceil(Math.max(0, ...numbers) * 4) / 4);
  const plot = WIDTH - LABEL_WIDTH - 60;
  const x = (v) => LABEL_WIDTH + (Math.max(0, v) / max) * plot;
  const height = TOP + rows.length * ROW + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let tick = 0; tick <= max + 1e-9; tick += 0.25) {
    const tx = x(tick).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${height - 24}" stroke="#eee"/>`);
    if (Math.abs(tick - Math.round(tick * 2) / 2) < 1e-9) {
      parts.push(
        `<text x="${tx}" y="${TOP - 10}" text-anchor="middle" fill="#666">${tick.toFixed(1)}</text>`,
      );
    }
  }
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    parts.push(
      `<text x="${LABEL_WIDTH - 6}" y="${y + BAR - 3}" text-anchor="end">${escape(row.label)}</text>`,
    );
    if (isNum(row.secondary)) {
      parts.push(bar(x, y, row.secondary, '#c6dbef'));
    }
    if (isNum(row.value)) {
      const pass = row.value <= row.goal;
      parts.push(bar(x, y + 3, row.value, pass ? '#3a7d44' : '#d08c2b', BAR - 6));
      parts.push(
        `<text x="${(x(row.value) + 4).toFixed(1)}" y="${y + BAR - 3}">${row.value.toFixed(2)}</text>`,
      );
    } else {
      parts.push(`<text x="${LABEL_WIDTH + 4}" y="${y + BAR - 3}" fill="#a00">not measured</text>`);
    }
    const gx = x(row.goal).toFixed(1);
    parts.push(
      `<line x1="${gx}" y1="${y - 2}" x2="${gx}" y2="${y + BAR + 2}" stroke="#d62728" stroke-width="2"/>`,
    );
  });
  parts.push(
    `<text x="10" y="${height - 8}" fill="#666">green: within goal; orange: over it; light bars: first 2xx ÷ the clients-only floor, and peak RSS at c=1</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function bar(x, y, value, fill, h = BAR) {
  const width = Math.max(1, x(value) - x(0)).toFixed(1);
  return `<rect x="${x(0).toFixed(1)}" y="${y}" width="${width}" height="${h}" fill="${fill}"/>`;
}

function escape(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function isNum(value) {
  return typeof value === 'number' && Number.isFinite(value);
}
