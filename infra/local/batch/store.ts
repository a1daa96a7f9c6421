import type { JobKey } from './names.js';
import type { Outcome } from './outcome.js';
import type { JobInput } from './requests.js';
import type { JobStatus, Task, Timestamp } from './wire.js';

/** The job as stored and returned: what the client sent, plus the output-only fields. */
export type StoredJob = JobInput & {
  name: string;
  uid: string;
  status: JobStatus;
  createTime: Timestamp;
  updateTime: Timestamp;
};

export interface JobRecord {
  key: JobKey;
  name: string;
  /** Creation order, for stable listing. */
  seq: number;
  job: StoredJob;
  tasks: Task[];
  outcome: Outcome;
  requestId: string;
  /** When the job entered RUNNING (clock ms), for run_duration. */
  runningSince?: number;
}

/** How long a request_id is remembered (the API promises at least 60 minutes). */
const REQUEST_ID_WINDOW_MS = 60 * 60 * 1000;

/**
 * In-memory jobs. A job is found by its name with either the project id it was created under or
 * that project's number, because Batch notifications name jobs by project number.
 */
export class JobStore {
  private readonly records = new Map<string, JobRecord>();
  private readonly requestIds = new Map<string, { name: string; at: number }>();
  private nextSeq = 1;

  constructor(private readonly projectNumber: (project: string) => string) {}

  /** The next creation sequence number. */
  takeSeq(): number {
    return this.nextSeq++;
  }

  add(record: JobRecord): void {
    this.records.set(record.name, record);
  }

  find(key: JobKey): JobRecord | undefined {
    for (const record of this.records.values()) {
      if (record.key.region !== key.region || record.key.jobId !== key.jobId) continue;
      if (record.key.project === key.project || this.projectNumber(record.key.project) === key.project)
        return record;
    }
    return undefined;
  }

  remove(record: JobRecord): void {
    this.records.delete(record.name);
    for (const [id, entry] of this.requestIds) if (entry.name === record.name) this.requestIds.delete(id);
  }

  all(): JobRecord[] {
    return [...this.records.values()];
  }

  /** Jobs under `projects/P/locations/L` (`L` may be `-` for every location), in creation order. */
  under(project: string, location: string): JobRecord[] {
    return this.all().filter(
      (r) =>
        (r.key.project === project || this.projectNumber(r.key.project) === project) &&
        (location === '-' || r.key.region === location),
    );
  }

  /** The job a request_id created, while it is remembered. */
  byRequestId(requestId: string, now: number): JobRecord | undefined {
    const entry = this.requestIds.get(requestId);
    if (!entry) return undefined;
    if (now - entry.at > REQUEST_ID_WINDOW_MS) {
      this.requestIds.delete(requestId);
      return undefined;
    }
    return this.records.get(entry.name);
  }

  rememberRequestId(requestId: string, record: JobRecord, now: number): void {
    this.requestIds.set(requestId, { name: record.name, at: now });
  }
}
