// The local dashboard: renders each snapshot the server streams. Every value is set as text
// (textContent), never as HTML, so nothing an event carries can become markup.
'use strict';

const status = document.getElementById('status');

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fill(tableId, rows, empty) {
  const body = document.querySelector(`#${tableId} tbody`);
  const columns = document.querySelectorAll(`#${tableId} thead th`).length;
  const fresh = document.createElement('tbody');
  for (const cells of rows) {
    const tr = document.createElement('tr');
    for (const [text, className] of cells) tr.appendChild(cell(String(text), className));
    fresh.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(empty, 'muted');
    td.colSpan = columns;
    tr.appendChild(td);
    fresh.appendChild(tr);
  }
  body.replaceWith(fresh);
}

const sorted = (counts) => Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1));
// Digests cut to 12 hex characters, as the demo and `streamgate events` print them.
const shortDigest = (digest) => digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '$1…');
// A repaired job runs the repaired digest (its image) and says which digest it was repaired from.
const withRepair = (row, text) =>
  row.repairedFrom ? `${text} (repaired from ${shortDigest(row.repairedFrom)})` : text;
const streamingText = (job) =>
  withRepair(
    job,
    job.streaming === 'off' && job.streamingReasons.length > 0
      ? `off: ${job.streamingReasons.join(', ')}`
      : job.streaming,
  );
const stateClass = (state) => `state state-${state.toLowerCase()}`;

function render(snapshot) {
  const { counters, jobs, events } = snapshot;
  fill(
    'launches',
    sorted(counters.launches).map(([key, n]) => [...key.split(' ').map((part) => [part]), [n, 'n']]),
    'no launches yet',
  );
  fill(
    'refusals',
    sorted(counters.refusals).map(([code, n]) => [
      [code, 'code'],
      [n, 'n'],
    ]),
    'no refusals',
  );
  fill(
    'completions',
    sorted(counters.completions).map(([state, n]) => [
      [state, stateClass(state)],
      [n, 'n'],
    ]),
    'no completions yet',
  );
  fill(
    'jobs',
    [...jobs]
      .reverse()
      .map((job) => [
        [job.jobId, 'mono'],
        [job.image, 'mono'],
        [job.source],
        [streamingText(job), `streaming-${job.streaming}`],
        [job.state, stateClass(job.state)],
      ]),
    'no jobs yet',
  );
  fill(
    'events',
    [...events]
      .reverse()
      .map((row) => [
        [row.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')],
        [row.kind, `kind-${row.kind}`],
        [row.job, 'mono'],
        [row.image, 'mono'],
        [withRepair(row, row.streaming), `streaming-${row.streaming}`],
        [row.detail],
      ]),
    'waiting for events…',
  );
}

function connect() {
  const source = new EventSource('/events');
  source.addEventListener('open', () => {
    status.textContent = 'live';
    status.dataset.state = 'live';
  });
  source.addEventListener('snapshot', (message) => render(JSON.parse(message.data)));
  source.addEventListener('error', () => {
    status.textContent = 'disconnected; retrying…';
    status.dataset.state = 'down';
  });
}

connect();
