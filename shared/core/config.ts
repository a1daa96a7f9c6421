import './zod-locale.js';
import * as z from 'zod/mini';
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

const TopicSchema = z.string().check(
  z.refine((text) => TOPIC_ID.test(text) || TOPIC_PATH.test(text), {
    message: 'must be a topic id ("streamgate-events") or "projects/P/topics/T"',
  }),
  z.meta({ anyOf: [{ pattern: TOPIC_ID.source }, { pattern: TOPIC_PATH.source }] }),
  z.describe('A topic id in the config project, or a full "projects/P/topics/T" name.'),
);

const RuleSchema = z.strictObject({
  name: z
    .string()
    .check(
      z.regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and "-", starting with a letter'),
      z.maxLength(LIMITS.ruleNameLength),
      z.describe('Stable rule name: part of the idempotency key of the jobs it launches.'),
    ),
  description: z.optional(z.string().check(z.maxLength(1024))),
  image: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(LIMITS.globLength),
      z.describe('Glob over HOST/PATH of the pushed image (no tag): * within a segment, ** across.'),
    ),
  streaming: z._default(StreamingModeSchema, 'auto'),
  untagged: z
    ._default(z.boolean(), false)
    .check(
      z.describe(
        'Also launch for pushes that carry no tag (by digest only, e.g. the children of a multi-platform push).',
      ),
    ),
  maxJobsInFlight: jobsInFlightBound("of this rule's jobs"),
  template: z
    ._default(JobTemplateSchema, {})
    .check(z.describe('Job fields for the launched job (a JobRequest minus image and ids).')),
});
export type Rule = z.output<typeof RuleSchema>;

const MultiRegionSchema = z.strictObject({
  regionPrefixes: z
    .array(z.string().check(z.minLength(1), z.maxLength(LIMITS.regionLength)))
    .check(z.minLength(1), z.maxLength(LIMITS.policyListLength)),
  defaultRegion: RegionSchema,
});

export const StreamgateConfigSchema = z
  .strictObject({
    $schema: z
      .optional(z.string().check(z.maxLength(1024)))
      .check(z.describe('Editors: path or URL of schemas/config.json.')),
    project: z
      .string()
      .check(z.regex(PROJECT_ID, 'must be a GCP project id'), z.describe('Project the jobs run in.')),
    projectNumber: z
      .optional(z.string().check(z.regex(/^[0-9]{1,20}$/)))
      .check(z.describe('Batch notifications name jobs by project number.')),
    topics: z.strictObject({
      events: TopicSchema.check(z.describe('Where job.launched / job.completed / request.rejected go.')),
      notifications: TopicSchema.check(
        z.describe('Batch JOB_STATE_CHANGED notifications (onJobStateChanged).'),
      ),
      requests: z.optional(TopicSchema).check(z.describe('JobRequest v1 messages (onJobRequest).')),
      gcr: z
        .optional(TopicSchema)
        .check(z.describe('Artifact Registry push notifications (onImagePush), normally "gcr".')),
    }),
    jobServiceAccount: z
      .email()
      .check(z.maxLength(254), z.describe('Service account every job runs as; never taken from a request.')),
    platform: z
      ._default(z.string().check(z.regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/)), 'linux/amd64')
      .check(z.describe('Platform picked from image indexes: OS/ARCH[/VARIANT].')),
    defaults: z._default(JobDefaultsSchema, JobDefaultsSchema.parse({})),
    rules: z._default(z.array(RuleSchema).check(z.maxLength(LIMITS.ruleCount)), []),
    policy: z._default(PolicySchema, PolicySchema.parse({})),
    locations: z
      ._default(
        z.strictObject({
          batchRegions: z.optional(
            z.array(RegionSchema).check(z.minLength(1), z.maxLength(LIMITS.policyListLength)),
          ),
          multiRegions: z.optional(z.record(z.string().check(z.regex(/^[a-z]+$/)), MultiRegionSchema)),
        }),
        {},
      )
      .check(z.describe('Overrides of the built-in Batch region list and multi-region table.')),
    webhook: z._default(
      z.strictObject({
        toleranceSeconds: z._default(z.int().check(z.minimum(1), z.maximum(3600)), 300),
        maxBodyBytes: z._default(z.int().check(z.minimum(1024), z.maximum(1_048_576)), 65_536),
      }),
      { toleranceSeconds: 300, maxBodyBytes: 65_536 },
    ),
    events: z._default(
      z.strictObject({
        stateChanged: z
          ._default(z.boolean(), false)
          .check(z.describe('Also publish job.state_changed for non-terminal states.')),
        source: z
          .optional(z.string().check(z.minLength(1), z.maxLength(1024)))
          .check(z.describe('ce-source; default //streamgate/projects/PROJECT.')),
      }),
      { stateChanged: false },
    ),
    repairRepositories: z
      ._default(
        z
          .array(
            z
              .string()
              .check(z.regex(/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/, 'must be HOST/PROJECT/REPOSITORY')),
          )
          .check(z.maxLength(LIMITS.policyListLength)),
        [],
      )
      .check(
        z.describe(
          'Repositories (HOST/PROJECT/REPOSITORY, e.g. us-central1-docker.pkg.dev/p/apps) where streaming mode "repair" may write repaired images; STREAMGATE_REPAIR_REPOSITORIES (set by Terraform) adds to it.',
        ),
      ),
  })
  .check(
    z.superRefine((config, ctx) => {
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
    }),
  );
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
