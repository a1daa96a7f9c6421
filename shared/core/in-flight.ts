import type { StreamgateConfig } from './config.js';
import { StreamgateError } from './errors.js';
import { scopeLabel } from './labels.js';

/**
 * maxJobsInFlight: a rule's or the policy's bound on its jobs that Batch holds QUEUED, SCHEDULED
 * or RUNNING in one region. The count is Batch's (ListJobs by label and state), never kept here.
 */

/** The Batch job states that count as in flight. */
export const IN_FLIGHT_STATES = ['QUEUED', 'SCHEDULED', 'RUNNING'] as const;

export interface InFlightBound {
  /** `rule <name>` or `policy`, for messages and logs. */
  scope: string;
  /** The label every job of the scope carries. */
  label: { key: string; value: string };
  max: number;
}

/**
 * The bounds a launch must fit in: its rule's (when a rule launched it and sets one), then the
 * policy's. Empty when neither sets `maxJobsInFlight`.
 *
 * @example inFlightBounds('apps', config) // [{ scope: 'rule apps', label: { key: 'streamgate-rule', value: 'apps' }, max: 5 }]
 */
export function inFlightBounds(
  rule: string | undefined,
  config: Pick<StreamgateConfig, 'rules' | 'policy'>,
): InFlightBound[] {
  const bounds: InFlightBound[] = [];
  const ruleMax = rule === undefined ? undefined : config.rules.find((r) => r.name === rule)?.maxJobsInFlight;
  if (ruleMax !== undefined) bounds.push({ scope: `rule ${rule}`, label: scopeLabel(rule), max: ruleMax });
  const policyMax = config.policy.maxJobsInFlight;
  if (policyMax !== undefined) bounds.push({ scope: 'policy', label: scopeLabel(undefined), max: policyMax });
  return bounds;
}

/** The transient refusal of a launch over a bound: the caller retries later. */
export function inFlightRefusal(bound: InFlightBound, region: string): StreamgateError {
  const setting = bound.scope === 'policy' ? 'policy.maxJobsInFlight' : `maxJobsInFlight of ${bound.scope}`;
  return new StreamgateError(
    'JOBS_IN_FLIGHT_LIMIT',
    `${bound.max} jobs of ${bound.scope} are already queued, scheduled or running in ${region} (${setting} is ${bound.max}); the launch is retried once one ends.`,
    { kind: 'transient', details: { scope: bound.scope, maxJobsInFlight: bound.max, region } },
  );
}
