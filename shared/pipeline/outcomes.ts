import type { EligibilityReport } from '../core/eligibility.js';
import type { StreamingDecision } from '../core/events.js';
import type { BatchJobPlan } from '../core/job-builder.js';
import type { Finding } from '../core/reason-codes.js';

/**
 * Why a request was refused; the webhook maps it to a status code:
 * invalid → 400, policy → 403, ineligible → 422, image → 422.
 */
export type RejectionCategory = 'invalid' | 'policy' | 'ineligible' | 'image';

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
  plan: BatchJobPlan;
}

export interface Launched extends Omit<Planned, 'status'> {
  status: 'launched';
  /** false when Batch answered ALREADY_EXISTS (a repeated request). */
  created: boolean;
  jobName: string;
  jobUid: string;
  eventId: string;
}

export type LaunchOutcome = Rejected | Planned | Launched;
