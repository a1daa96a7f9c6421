import * as z from 'zod';
import { StreamgateError } from './errors.js';
import { formatIssues } from './issues.js';
import { LIMITS } from './limits.js';
import type { LocationSettings } from './locations.js';
import { jobsInFlightBound, PolicySchema } from './policy.js';
import {
  JobDefaultsSchema,
  JobTemplateSchema,
  RegionSchema,
  StreamingModeSchema,
  type JobDefaults,
} from './request.js';

/**
 * `streamgate.config.json`: validated at cold start; a bad file fails fast with every issue
 * listed by path. Secrets are not part of it (they come from env vars filled from Secret Manager).
 */

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const TOPIC_ID = /^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/;
const TOPIC_PATH = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/topics\/[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/;

const TopicSchema = z
  .string()
  .refine((text) => TOPIC_ID.test(text) || TOPIC_PATH.test(text), {
    message: 'must be a topic id ("streamgate-events") or "projects/P/topics/T"',
  })
  .meta({ anyOf: [{ pattern: TOPIC_ID.source }, { pattern: TOPIC_PATH.source }] })
  .describe('A topic id in the config project, or a full "projects/P/topics/T" name.');

const RuleSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and "-", starting with a letter')
    .max(LIMITS.ruleNameLength)
    .describe('Stable rule name: part of the idempotency key of the jobs it launches.'),
  description: z.string().max(1024).optional(),
  image: z
    .string()
    .min(1)
    .max(LIMITS.globLength)
    .describe('Glob over HOST/PATH of the pushed image (no tag): * within a segment, ** across.'),
  streaming: StreamingModeSchema.default('auto'),
  untagged: z
    .boolean()
    .default(false)
    .describe(
      'Also launch for pushes that carry no tag (by digest only, e.g. the children of a multi-platform push).',
    ),
  maxJobsInFlight: jobsInFlightBound("of this rule's jobs"),
  template: JobTemplateSchema.default({}).describe(
    'Job fields for the launched job (a JobRequest minus image and ids).',
  ),
});
export type Rule = z.output<typeof RuleSchema>;

const MultiRegionSchema = z.strictObject({
  regionPrefixes: z.array(z.string().min(1).max(LIMITS.regionLength)).min(1).max(LIMITS.policyListLength),
  defaultRegion: RegionSchema,
});

export const StreamgateConfigSchema = z
  .strictObject({
    $schema: z.string().max(1024).optional().describe('Editors: path or URL of schemas/config.json.'),
    project: z.string().regex(PROJECT_ID, 'must be a GCP project id').describe('Project the jobs run in.'),
    projectNumber: z
      .string()
      .regex(/^[0-9]{1,20}$/)
      .optional()
      .describe('Batch notifications name jobs by project number.'),
    topics: z.strictObject({
      events: TopicSchema.describe('Where job.launched / job.completed / request.rejected go.'),
      notifications: TopicSchema.describe('Batch JOB_STATE_CHANGED notifications (onJobStateChanged).'),
      requests: TopicSchema.optional().describe('JobRequest v1 messages (onJobRequest).'),
      gcr: TopicSchema.optional().describe(
        'Artifact Registry push notifications (onImagePush), normally "gcr".',
      ),
    }),
    jobServiceAccount: z
      .email()
      .max(254)
      .describe('Service account every job runs as; never taken from a request.'),
    platform: z
      .string()
      .regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/)
      .default('linux/amd64')
      .describe('Platform picked from image indexes: OS/ARCH[/VARIANT].'),
    defaults: JobDefaultsSchema.default(JobDefaultsSchema.parse({})),
    rules: z.array(RuleSchema).max(LIMITS.ruleCount).default([]),
    policy: PolicySchema.default(PolicySchema.parse({})),
    locations: z
      .strictObject({
        batchRegions: z.array(RegionSchema).min(1).max(LIMITS.policyListLength).optional(),
        multiRegions: z.record(z.string().regex(/^[a-z]+$/), MultiRegionSchema).optional(),
      })
      .default({})
      .describe('Overrides of the built-in Batch region list and multi-region table.'),
    webhook: z
      .strictObject({
        toleranceSeconds: z.int().min(1).max(3600).default(300),
        maxBodyBytes: z.int().min(1024).max(1_048_576).default(65_536),
      })
      .default({ toleranceSeconds: 300, maxBodyBytes: 65_536 }),
    events: z
      .strictObject({
        stateChanged: z
          .boolean()
          .default(false)
          .describe('Also publish job.state_changed for non-terminal states.'),
        source: z
          .string()
          .min(1)
          .max(1024)
          .optional()
          .describe('ce-source; default //streamgate/projects/PROJECT.'),
      })
      .default({ stateChanged: false }),
    repairRepositories: z
      .array(z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/, 'must be HOST/PROJECT/REPOSITORY'))
      .max(LIMITS.policyListLength)
      .default([])
      .describe(
        'Repositories (HOST/PROJECT/REPOSITORY, e.g. us-central1-docker.pkg.dev/p/apps) where streaming mode "repair" may write repaired images; STREAMGATE_REPAIR_REPOSITORIES (set by Terraform) adds to it.',
      ),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.rules.forEach((rule, index) => {
      if (seen.has(rule.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `duplicate rule name "${rule.name}"`,
        });
      }
      seen.add(rule.name);
    });
  });
export type StreamgateConfig = z.output<typeof StreamgateConfigSchema>;
/** What a config file may contain (defaults not yet applied). */
export type StreamgateConfigInput = z.input<typeof StreamgateConfigSchema>;

/**
 * Validates a parsed config. Throws a permanent `CONFIG_INVALID` listing every issue by path
 * (`policy.maxTaskCount: expected number, received string`), also in `details.issues`.
 */
export function parseConfig(value: unknown, origin = 'config'): StreamgateConfig {
  const result = StreamgateConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = formatIssues(result.error.issues);
  throw new StreamgateError('CONFIG_INVALID', `Invalid ${origin}:\n  ${issues.join('\n  ')}`, {
    kind: 'permanent',
    cause: result.error,
    details: { origin, issues },
  });
}

/**
 * Full topic name for a configured topic.
 *
 * @example topicPath('demo-project', 'streamgate-events') // 'projects/demo-project/topics/streamgate-events'
 */
export function topicPath(project: string, topic: string): string {
  return topic.startsWith('projects/') ? topic : `projects/${project}/topics/${topic}`;
}

/** The `ce-source` of streamgate's events. */
export function eventSource(config: Pick<StreamgateConfig, 'project' | 'events'>): string {
  return config.events.source ?? `//streamgate/projects/${config.project}`;
}

/** The core location tables with the config's overrides applied (multi-regions merge by name). */
export function locationSettingsFor(
  config: Pick<StreamgateConfig, 'locations'>,
  base: LocationSettings,
): LocationSettings {
  return {
    batchRegions: config.locations.batchRegions ?? base.batchRegions,
    multiRegions: { ...base.multiRegions, ...config.locations.multiRegions },
  };
}

/**
 * The job defaults to pass to `toLaunchRequest`. Without a configured default parallelism, a request
 * that names none runs at most `policy.maxParallelism` tasks at once instead of being refused.
 */
export function jobDefaultsFor(config: Pick<StreamgateConfig, 'defaults' | 'policy'>): JobDefaults {
  return { ...config.defaults, parallelism: config.defaults.parallelism ?? config.policy.maxParallelism };
}
