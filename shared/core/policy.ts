import './zod-locale.js';
import * as z from 'zod/mini';
import type { EligibilityReport } from './eligibility.js';
import { matchesAny } from './glob.js';
import type { ImageReference } from './image-reference.js';
import { LIMITS } from './limits.js';
import type { Finding } from './reason-codes.js';
import type { LaunchRequest } from './request.js';

/**
 * What a request may ask for (config `policy`). Every violation is a permanent rejection with a
 * `POLICY_*` code whose message names the offending value and what is allowed.
 */

const GlobSchema = z.string().check(z.minLength(1), z.maxLength(LIMITS.globLength));
const globList = (fallback: string[], what: string) =>
  z
    ._default(z.array(GlobSchema).check(z.minLength(1), z.maxLength(LIMITS.policyListLength)), fallback)
    .check(z.describe(what));

/** `maxJobsInFlight` of the policy or a rule: a bound on `whose` jobs Batch holds at once. */
export function jobsInFlightBound(whose: string) {
  return z
    .optional(z.int().check(z.minimum(1), z.maximum(LIMITS.maxJobsInFlight)))
    .check(
      z.describe(
        `At most this many ${whose} QUEUED, SCHEDULED or RUNNING per region; a launch over it is retried later.`,
      ),
    );
}

export const PolicySchema = z.strictObject({
  allowedRepositories: globList(
    ['**'],
    'Globs over HOST/PATH of the image (no tag): * stays within a segment, ** crosses segments.',
  ),
  allowedRegions: globList(['*'], 'Globs over job regions, e.g. "us-*" or "europe-west4".'),
  allowedMachineTypes: globList(['*'], 'Globs over machine types; requests without one are allowed.'),
  maxTaskCount: z._default(z.int().check(z.minimum(1), z.maximum(LIMITS.maxTaskCount)), 10_000),
  maxParallelism: z._default(z.int().check(z.minimum(1), z.maximum(LIMITS.maxParallelism)), 1_000),
  maxRunDurationSeconds: z._default(
    z.int().check(z.minimum(1), z.maximum(LIMITS.maxRunDurationSeconds)),
    604_800,
  ),
  allowNonStreamingFallback: z
    ._default(z.boolean(), true)
    .check(z.describe('false: a request in auto mode whose image cannot be streamed is refused.')),
  maxJobsInFlight: jobsInFlightBound('streamgate jobs'),
});
export type Policy = z.output<typeof PolicySchema>;
export const DEFAULT_POLICY: Policy = PolicySchema.parse({});

type PolicyFinding = Finding<
  | 'POLICY_REPOSITORY'
  | 'POLICY_REGION'
  | 'POLICY_MACHINE_TYPE'
  | 'POLICY_TASK_COUNT'
  | 'POLICY_PARALLELISM'
  | 'POLICY_RUN_DURATION'
  | 'POLICY_STREAMING_FALLBACK'
>;

/** `host[:port]/path`: the string repository globs are matched against. */
export function repositoryOf(image: ImageReference): string {
  return `${image.host}${image.port === undefined ? '' : `:${image.port}`}/${image.path}`;
}

/**
 * Checks a request against the policy. The job region is checked separately with
 * `checkRegionPolicy` once it is known; a requested region is checked here already.
 *
 * @example checkPolicy(request, parseImageReference(request.image), config.policy) // [] when allowed
 */
export function checkPolicy(request: LaunchRequest, image: ImageReference, policy: Policy): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const repository = repositoryOf(image);
  if (!matchesAny(policy.allowedRepositories, repository)) {
    findings.push({
      code: 'POLICY_REPOSITORY',
      message: `Image repository ${repository} is not allowed; policy.allowedRepositories is ${list(policy.allowedRepositories)}.`,
    });
  }
  if (request.region !== undefined) findings.push(...checkRegionPolicy(request.region, policy));
  if (request.machineType !== undefined && !matchesAny(policy.allowedMachineTypes, request.machineType)) {
    findings.push({
      code: 'POLICY_MACHINE_TYPE',
      message: `Machine type ${request.machineType} is not allowed; policy.allowedMachineTypes is ${list(policy.allowedMachineTypes)}.`,
    });
  }
  if (request.taskCount > policy.maxTaskCount) {
    findings.push({
      code: 'POLICY_TASK_COUNT',
      message: `taskCount ${request.taskCount} exceeds policy.maxTaskCount ${policy.maxTaskCount}; ask for at most ${policy.maxTaskCount} tasks.`,
    });
  }
  if (request.parallelism > policy.maxParallelism) {
    findings.push({
      code: 'POLICY_PARALLELISM',
      message: `parallelism ${request.parallelism} exceeds policy.maxParallelism ${policy.maxParallelism}; ask for at most ${policy.maxParallelism}.`,
    });
  }
  if (request.maxRunDurationSeconds > policy.maxRunDurationSeconds) {
    findings.push({
      code: 'POLICY_RUN_DURATION',
      message: `maxRunDuration ${request.maxRunDurationSeconds}s exceeds policy.maxRunDurationSeconds ${policy.maxRunDurationSeconds}s; ask for at most ${policy.maxRunDurationSeconds}s.`,
    });
  }
  return findings;
}

/** Checks the region a job would run in against `policy.allowedRegions`. */
export function checkRegionPolicy(region: string, policy: Pick<Policy, 'allowedRegions'>): PolicyFinding[] {
  if (matchesAny(policy.allowedRegions, region)) return [];
  return [
    {
      code: 'POLICY_REGION',
      message: `Region ${region} is not allowed; policy.allowedRegions is ${list(policy.allowedRegions)}.`,
    },
  ];
}

/**
 * With `allowNonStreamingFallback: false`, an `auto` request whose image cannot be streamed is
 * refused instead of running without streaming. `off` is an explicit choice, not a fallback;
 * `require` is refused by eligibility itself.
 */
export function checkFallbackPolicy(
  request: Pick<LaunchRequest, 'streaming' | 'image'>,
  report: Pick<EligibilityReport, 'verdict'>,
  policy: Pick<Policy, 'allowNonStreamingFallback'>,
): PolicyFinding[] {
  if (policy.allowNonStreamingFallback || request.streaming !== 'auto' || report.verdict === 'eligible')
    return [];
  return [
    {
      code: 'POLICY_STREAMING_FALLBACK',
      message: `Image ${request.image} cannot be streamed (verdict ${report.verdict}) and policy.allowNonStreamingFallback is false; allowed: images eligible for Image streaming.`,
    },
  ];
}

function list(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}
