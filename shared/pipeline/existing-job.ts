import type { EligibilityReport, Verdict } from '../core/eligibility.js';
import { batchJobName, jobNameParts } from '../core/ids.js';
import { streamingDecisionOf, type StreamingDecision } from '../core/events.js';
import { readStreamgateLabels, type StreamgateJobLabels } from '../core/labels.js';
import type { JobSnapshot } from '../core/ports.js';
import {
  ELIGIBILITY_REASONS,
  WARNING_CODES,
  type EligibilityReasonCode,
  type Finding,
  type WarningCode,
} from '../core/reason-codes.js';
import { STREAMING_MODES, type StreamingMode } from '../core/request.js';
import type { PipelineDeps } from './deps.js';

/**
 * A job that already exists, described from Batch's own record: its name, image and streaming
 * flag, plus the decision streamgate recorded in its labels when it created it. Nothing here comes
 * from the request being answered.
 */
export interface ExistingJob {
  jobName: string;
  jobId: string;
  jobUid: string;
  region: string;
  imageUri: string;
  digest?: string;
  labels: StreamgateJobLabels;
  report: EligibilityReport;
  streaming: StreamingDecision;
}

const VERDICTS: readonly Verdict[] = ['eligible', 'ineligible', 'needs-resolution'];
const PINNED = /@(sha256:[a-f0-9]{64})$/;
// Labels hold codes only; a repeat says so instead of inventing the original sentence.
const RECORDED =
  'Recorded on the job when streamgate created it; the original message is not stored (see "Verdicts and reason codes" in the README).';
const INCOMPLETE = ' Further codes did not fit in the job labels.';

/**
 * The first job found under `jobId` in `regions` (looked up in parallel, most likely first), with
 * the name it was looked up by.
 *
 * @example await findJob('sg-webhook-abc…', ['us-central1', 'us-east1'], deps)
 */
export async function findJob(
  jobId: string,
  regions: readonly string[],
  deps: Pick<PipelineDeps, 'batch' | 'config'>,
): Promise<{ job: JobSnapshot; name: string } | undefined> {
  const names = regions.map((region) => batchJobName(deps.config.project, region, jobId));
  const jobs = await Promise.all(names.map((name) => deps.batch.getJob(name)));
  const index = jobs.findIndex((job) => job !== undefined);
  return index < 0 ? undefined : { job: jobs[index] as JobSnapshot, name: names[index] as string };
}

/**
 * Describes a job from Batch's answer. `fallbackMode` is used only when the mode label is missing;
 * callers pass the mode of a request with the same fingerprint, which is the same mode.
 *
 * @example describeExistingJob(job, name, request.streaming).imageUri // the image the job runs
 */
export function describeExistingJob(
  job: JobSnapshot,
  lookedUp: string,
  fallbackMode: StreamingMode,
): ExistingJob {
  const jobName = job.name ?? lookedUp;
  const { region, jobId } = jobNameParts(jobName) ?? jobNameParts(lookedUp) ?? { region: '', jobId: '' };
  const imageUri = job.image;
  const enabled = job.streaming === true;
  const labels = readStreamgateLabels(job.labels);
  const mode = STREAMING_MODES.find((m) => m === labels.mode) ?? fallbackMode;
  // A job only streams when its image was judged eligible, so that much is known without a label.
  const verdict = VERDICTS.find((v) => v === labels.verdict) ?? (enabled ? 'eligible' : 'ineligible');
  const report: EligibilityReport = {
    verdict,
    reasons: recorded<EligibilityReasonCode>(labels.reasons, ELIGIBILITY_REASONS),
    warnings: recorded<WarningCode>(labels.warnings, WARNING_CODES),
    jobRegion: region,
  };
  const digest = PINNED.exec(imageUri)?.[1];
  return {
    jobName,
    jobId,
    jobUid: job.uid || jobId,
    region,
    imageUri,
    ...(digest ? { digest } : {}),
    labels,
    report,
    streaming: streamingDecisionOf(report, mode, enabled),
  };
}

function recorded<C extends string>(
  label: { codes: string[]; complete: boolean } | undefined,
  known: readonly C[],
): Finding<C>[] {
  const codes = (label?.codes ?? []).filter((code): code is C => (known as readonly string[]).includes(code));
  const complete = (label?.complete ?? true) && codes.length === (label?.codes.length ?? 0);
  return codes.map((code, index) => ({
    code,
    message: RECORDED + (!complete && index === codes.length - 1 ? INCOMPLETE : ''),
  }));
}
