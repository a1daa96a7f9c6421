/**
 * The dashboard's event rows as a terminal table (`streamgate events`), and a reader of the page's
 * server-sent-event stream. Every value is made safe for a terminal first: control characters
 * (escape sequences included) are shown as `\u{…}`, never written raw.
 */
import type { DashboardSnapshot, EventRow } from './state.js';

const COLUMNS: Array<{ title: string; width: number; of: (row: EventRow) => string }> = [
  { title: 'TIME', width: 24, of: (row) => row.time },
  { title: 'EVENT', width: 13, of: (row) => row.kind },
  { title: 'JOB', width: 34, of: (row) => row.job || '-' },
  { title: 'IMAGE', width: 76, of: (row) => shortDigest(row.image) || '-' },
  { title: 'STREAMING', width: 9, of: (row) => row.streaming || '-' },
  // A repaired job runs the repaired digest (IMAGE); DETAIL names the digest it was repaired from.
  {
    title: 'DETAIL',
    width: 0,
    of: (row) =>
      row.repairedFrom ? `${row.detail} (repaired from ${shortDigest(row.repairedFrom)})` : row.detail,
  },
];

/** Digests cut to 12 hex characters, as the demo prints them: a table line stays readable. */
function shortDigest(image: string): string {
  return image.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…');
}

/** Text with C0/C1 control characters shown as `\u{hex}`. */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

function line(cells: string[]): string {
  return cells
    .map((text, i) => {
      const width = COLUMNS[i]!.width;
      return width === 0 ? text : text.padEnd(width);
    })
    .join(' ')
    .trimEnd();
}

/** The header line of the table. */
export function tableHeader(): string {
  return line(COLUMNS.map((column) => column.title));
}

/**
 * One event as a table line.
 *
 * @example tableRow(row) // '2026-…  launched  sg-push-…  us-central1-docker.pkg.dev/…@sha256:8b48b20b4f30…  on  eligible'
 */
export function tableRow(row: EventRow): string {
  return line(COLUMNS.map((column) => terminalSafe(column.of(row))));
}

/** Largest SSE frame accepted from the page (a snapshot is bounded well below it). */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * Reads `snapshot` frames from the page's `/events` stream until `onSnapshot` returns false or
 * the stream ends.
 */
export async function readSnapshots(
  url: string,
  onSnapshot: (snapshot: DashboardSnapshot) => boolean,
  signal?: AbortSignal,
): Promise<void> {
  const response = await fetch(`${url}/events`, { headers: { accept: 'text/event-stream' }, signal });
  if (!response.ok || !response.body) throw new Error(`${url}/events answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > MAX_FRAME_BYTES) throw new Error(`${url}/events sent a frame over 4 MiB`);
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!frame.split('\n').includes('event: snapshot') || data === '') continue;
        if (!onSnapshot(JSON.parse(data) as DashboardSnapshot)) return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
