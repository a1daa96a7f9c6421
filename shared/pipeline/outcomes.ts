import type { EligibilityReport } from '../core/eligibility.js';
import type { StreamingDecision } from '../core/events.js';
import type { BatchJobPlan } from '../core/job-builder.js';
import type { Finding } from '../core/reason-codes.js';

/**
 * Why a request was refused; the webhook maps it to a status code:
 * invalid → 400, policy → 403, conflict → 409, ineligible → 422, image → 422.
 * `conflict`: the idempotency key already names a different request (IDEMPOTENCY_CONFLICT).
 */
export type RejectionCategory = 'invalid' | 'policy' | 'conflict' | 'ineligible' | 'image';

export interface Rejected {
  status: 'rejected';
  category: RejectionCategory;
  reasons: Finding[];
  report?: EligibilityReport;
  /** `ce-id` of the request.rejected event (absent for plans, which publish nothing). */
  eventId?: string;
}

/** What would be created: the eligibility report and the exact Batch job. */
export interface Planned {
  status: 'planned';
  report: EligibilityReport;
  streaming: StreamingDecision;
  jobRegion: string;
  imageUri: string;
  digest?: string;
  /** Mode `repair`: the digest `digest` was repaired from. */
  repairedFrom?: string;
  plan: BatchJobPlan;
}

/**
 * A job that exists for the request. With `created: false` (a repeat) every field describes the
 * job as Batch holds it (image, region, streaming decision from its labels), never the new request.
 */
export interface Launched {
  status: 'launched';
  /** false when the job already existed (same key, same fingerprint). */
  created: boolean;
  jobName: string;
  jobUid: string;
  jobRegion: string;
  imageUri: string;
  /** The image digest the job is pinned to, when it is. */
  digest?: string;
  /** Mode `repair`: the digest `digest` was repaired from (on the call that created the job). */
  repairedFrom?: string;
  report: EligibilityReport;
  streaming: StreamingDecision;
  /** Where the job lives and its ids; `job` (the spec) only when this call planned it. */
  plan: Pick<BatchJobPlan, 'parent' | 'jobId' | 'requestId'> & { job?: BatchJobPlan['job'] };
  eventId: string;
}

export type LaunchOutcome = Rejected | Planned | Launched;
