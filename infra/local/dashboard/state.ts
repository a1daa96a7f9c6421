/**
 * What the local dashboard and `streamgate events` show: the events as they arrived, each job's
 * state as Batch holds it, and counters (launches by source, streaming and verdict; refusals by
 * reason code; completions by state). Everything is bounded: the oldest rows and jobs are dropped.
 */
import type { StreamgateEvent } from '../../../shared/core/cloudevent.js';
import { EVENT_TYPES, type EventData } from '../../../shared/core/events.js';
import type { JobSnapshot } from '../../../shared/core/ports.js';

/** Rows of event history kept. */
export const MAX_EVENT_ROWS = 200;
/** Jobs kept (the oldest seen are forgotten first). */
export const MAX_JOBS = 500;

/** One event as a table row: plain strings, rendered as text by the page and the CLI. */
export interface EventRow {
  /** Arrival order, from 1; a reader that saw row N only needs rows after N. */
  seq: number;
  time: string;
  kind: 'launched' | 'rejected' | 'completed' | 'state_changed';
  job: string;
  image: string;
  source: string;
  streaming: string;
  /** The digest the job's image was repaired from (mode `repair`; `image` is then the repaired one); `''` otherwise. */
  repairedFrom: string;
  detail: string;
}

export interface JobRow {
  jobName: string;
  jobId: string;
  image: string;
  source: string;
  /** `on`, `off` or `?` when no event or job said. */
  streaming: string;
  /** Why streaming is off, as reason codes (empty when on). */
  streamingReasons: string[];
  /** The digest the job's image was repaired from (mode `repair`; `image` is then the repaired one); `''` otherwise. */
  repairedFrom: string;
  state: string;
}

export interface Counters {
  /** `source streaming verdict` (e.g. `push on eligible`) → jobs created. */
  launches: Record<string, number>;
  /** Reason code → refusals that named it. */
  refusals: Record<string, number>;
  /** Terminal state → completions. */
  completions: Record<string, number>;
}

export interface DashboardSnapshot {
  events: EventRow[];
  jobs: JobRow[];
  counters: Counters;
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export class DashboardState {
  private readonly rows: EventRow[] = [];
  private readonly jobs = new Map<string, JobRow>();
  private readonly counters: Counters = { launches: {}, refusals: {}, completions: {} };
  private readonly seen = new Set<string>();
  private seq = 0;

  /** Adds one event (a redelivered duplicate, same `ce-id`, is ignored); returns its row. */
  add(event: StreamgateEvent): EventRow | undefined {
    if (this.seen.has(event.id)) return undefined;
    this.seen.add(event.id);
    if (this.seen.size > MAX_EVENT_ROWS * 10) this.seen.delete(this.seen.values().next().value as string);
    const row = this.rowOf(event);
    if (!row) return undefined;
    this.rows.push(row);
    if (this.rows.length > MAX_EVENT_ROWS) this.rows.shift();
    return row;
  }

  /** Updates job states from what Batch lists; true when anything changed. */
  updateJobs(snapshots: readonly JobSnapshot[]): boolean {
    let changed = false;
    for (const snapshot of snapshots) {
      if (!snapshot.name) continue;
      const known = this.jobs.get(snapshot.name);
      const job =
        known ??
        this.job(snapshot.name, {
          image: snapshot.image,
          source: snapshot.labels['streamgate-source'] ?? '',
        });
      if (job.streaming === '?' && snapshot.streaming !== undefined)
        job.streaming = snapshot.streaming ? 'on' : 'off';
      if (!known || job.state !== snapshot.state) changed = true;
      job.state = snapshot.state;
    }
    return changed;
  }

  snapshot(): DashboardSnapshot {
    return {
      events: this.rows.map((row) => ({ ...row })),
      jobs: [...this.jobs.values()].map((job) => ({ ...job, streamingReasons: [...job.streamingReasons] })),
      counters: structuredClone(this.counters),
    };
  }

  private rowOf(event: StreamgateEvent): EventRow | undefined {
    const base = { seq: ++this.seq, time: event.time };
    switch (event.type) {
      case EVENT_TYPES.launched:
        return { ...base, ...this.launched(event.data as EventData<typeof EVENT_TYPES.launched>) };
      case EVENT_TYPES.rejected:
        return { ...base, ...this.rejected(event.data as EventData<typeof EVENT_TYPES.rejected>) };
      case EVENT_TYPES.completed:
        return { ...base, ...this.completed(event.data as EventData<typeof EVENT_TYPES.completed>) };
      case EVENT_TYPES.stateChanged: {
        const data = event.data as EventData<typeof EVENT_TYPES.stateChanged>;
        const job = this.job(data.jobName, {});
        job.state = data.state;
        return {
          ...base,
          kind: 'state_changed',
          job: job.jobId,
          image: job.image,
          source: job.source,
          streaming: job.streaming,
          repairedFrom: job.repairedFrom,
          detail: data.state,
        };
      }
      default:
        this.seq -= 1;
        return undefined;
    }
  }

  /** A launch: the job runs `image.uri` (the repaired digest when `image.repairedFrom` is set). */
  private launched(data: EventData<typeof EVENT_TYPES.launched>): Omit<EventRow, 'seq' | 'time'> {
    const streaming = data.streaming.enabled ? 'on' : 'off';
    const reasons = data.streaming.reasons.map((r) => r.code);
    const repairedFrom = data.image.repairedFrom ?? '';
    const job = this.job(data.jobName, { image: data.image.uri, source: data.source });
    job.image = data.image.uri;
    job.streaming = streaming;
    job.streamingReasons = reasons;
    job.repairedFrom = repairedFrom;
    if (data.created) bump(this.counters.launches, `${data.source} ${streaming} ${data.streaming.verdict}`);
    const detail =
      [data.streaming.verdict, ...reasons].join(' ') + (data.created ? '' : ' (already existed)');
    return {
      kind: 'launched',
      job: data.jobId,
      image: data.image.uri,
      source: data.source,
      streaming,
      repairedFrom,
      detail,
    };
  }

  private rejected(data: EventData<typeof EVENT_TYPES.rejected>): Omit<EventRow, 'seq' | 'time'> {
    const codes = data.reasons.map((r) => r.code);
    for (const code of new Set(codes)) bump(this.counters.refusals, code);
    const image = typeof data.request?.image === 'string' ? data.request.image : '';
    return {
      kind: 'rejected',
      job: '',
      image,
      source: data.source,
      streaming: '',
      repairedFrom: '',
      detail: codes.join(' '),
    };
  }

  private completed(data: EventData<typeof EVENT_TYPES.completed>): Omit<EventRow, 'seq' | 'time'> {
    const job = this.job(data.jobName, { image: data.image, source: data.source ?? '' });
    job.state = data.state;
    job.streaming = data.streaming.enabled ? 'on' : 'off';
    bump(this.counters.completions, data.state);
    const duration =
      data.runDurationSeconds === undefined ? '' : ` in ${data.runDurationSeconds.toFixed(1)} s`;
    return {
      kind: 'completed',
      job: job.jobId,
      image: job.image,
      source: job.source,
      streaming: job.streaming,
      repairedFrom: job.repairedFrom,
      detail: `${data.state}${duration}`,
    };
  }

  /** The job by name, made (and the oldest forgotten past MAX_JOBS) when new. */
  private job(jobName: string, seed: { image?: string; source?: string }): JobRow {
    const known = this.jobs.get(jobName);
    if (known) return known;
    const job: JobRow = {
      jobName,
      jobId: jobName.slice(jobName.lastIndexOf('/') + 1),
      image: seed.image ?? '',
      source: seed.source ?? '',
      streaming: '?',
      streamingReasons: [],
      repairedFrom: '',
      state: 'QUEUED',
    };
    this.jobs.set(jobName, job);
    if (this.jobs.size > MAX_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
    return job;
  }
}
