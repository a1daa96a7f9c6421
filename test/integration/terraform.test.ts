/**
 * The Terraform root module, checked without Terraform: every .tf file is parsed with hcl2json and
 * the deployment rules are asserted on the result. Each checker is also fed a small broken snippet,
 * so a checker that stopped flagging problems would fail here too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../shared/adapters/env.js';
import { parseConfig, StreamgateConfigSchema } from '../../shared/core/config.js';
import { PolicySchema } from '../../shared/core/policy.js';
import {
  checkDeadLettering,
  checkEntryPoints,
  checkFunctionEnv,
  checkValidations,
  enabledApis,
  entryPoints,
  findBasicRoles,
  findEnvReads,
  findProjectLevelServiceAccountUser,
  loadTerraformModule,
  parseRegistrations,
  parseTerraformFiles,
  type TerraformModule,
} from '../helpers/terraform.js';
import { checkAlertPolicies, checkDashboard } from '../helpers/terraform-monitoring.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TERRAFORM_DIR = join(ROOT, 'infra', 'terraform');
const FUNCTIONS_INDEX = join(ROOT, 'functions', 'index.ts');

/** Variables whose values Google constrains; each must fail at plan time, not during apply. */
const CONSTRAINED_VARIABLES = [
  'project_id',
  'region',
  'name_prefix',
  'job_service_account_id',
  'webhook_secret_id',
  'webhook_invokers',
  'max_delivery_attempts',
  'dead_letter_retention_days',
  'function_memory',
  'function_timeout_seconds',
  'function_max_instances',
  'function_min_instances',
  'function_concurrency',
  'log_level',
  'config_file',
  'rules',
  'policy',
  'batch_regions',
  'multi_regions',
  'platform',
  'webhook_tolerance_seconds',
  'webhook_max_body_bytes',
  'runtime',
  'alert_notification_channels',
  'refusal_alert_ratio',
  'refusal_alert_min_refusals',
  'function_5xx_alert_threshold',
];

/** The fixed entry points (docs/contracts.md). */
const ENTRY_POINTS = ['onImagePush', 'onJobRequest', 'onJobStateChanged', 'webhook'];

const snippet = (text: string): Promise<TerraformModule> =>
  parseTerraformFiles([{ name: 'snippet.tf', text }]);

async function listTypeScript(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

let module: TerraformModule;

beforeAll(async () => {
  module = await loadTerraformModule(TERRAFORM_DIR);
});

describe('parsing', () => {
  it('parses every .tf file in infra/terraform, and the example tfvars', async () => {
    const names = (await readdir(TERRAFORM_DIR)).filter((n) => n.endsWith('.tf'));
    expect(names.length).toBeGreaterThan(5);
    expect(module.files.sort()).toEqual(names.sort());
    const example = await readFile(join(TERRAFORM_DIR, 'terraform.tfvars.example'), 'utf8');
    await expect(parseTerraformFiles([{ name: 'terraform.tfvars', text: example }])).resolves.toBeDefined();
  });

  it('rejects a file that does not parse, naming it', async () => {
    await expect(
      parseTerraformFiles([{ name: 'broken.tf', text: 'resource "a" "b" {\n  x = \n}\n' }]),
    ).rejects.toThrow(/broken\.tf/);
  });

  it('every variable the example sets is declared in variables.tf', async () => {
    const text = await readFile(join(TERRAFORM_DIR, 'terraform.tfvars.example'), 'utf8');
    const assigned = [...text.matchAll(/^([a-z_]+)\s*=/gm)].map((m) => m[1] ?? '');
    expect(assigned.length).toBeGreaterThan(10);
    expect(assigned.filter((name) => !(name in module.variables))).toEqual([]);
  });
});

describe('functions', () => {
  it('deploys exactly the four fixed entry points', () => {
    expect([...entryPoints(module).values()].sort()).toEqual([...ENTRY_POINTS].sort());
  });

  it('uses only entry points registered in functions/index.ts', async () => {
    const index = await readFile(FUNCTIONS_INDEX, 'utf8').catch(() => {
      throw new Error(`${relative(ROOT, FUNCTIONS_INDEX)} is missing: the entry points cannot be checked`);
    });
    const registrations = parseRegistrations(index);
    expect(checkEntryPoints(module, registrations)).toEqual([]);
    // index.ts registers the event functions with pubsubPush: still told apart from the webhook.
    expect([...registrations].sort()).toEqual([
      ['onImagePush', 'cloudEvent'],
      ['onJobRequest', 'cloudEvent'],
      ['onJobStateChanged', 'cloudEvent'],
      ['webhook', 'http'],
    ]);
  });

  it('flags an entry point that index.ts does not register', async () => {
    const registrations = parseRegistrations(
      "functionsFramework.cloudEvent('onImagePush', handler);\nfunctionsFramework.http<Req>('webhook', h);",
    );
    expect([...registrations]).toEqual([
      ['onImagePush', 'cloudEvent'],
      ['webhook', 'http'],
    ]);
    const problems = checkEntryPoints(
      await snippet(
        'resource "google_cloudfunctions2_function" "f" {\n  build_config {\n    entry_point = "onJobRequest"\n  }\n}\n',
      ),
      registrations,
    );
    expect(problems).toEqual([expect.stringMatching(/onJobRequest is not registered/)]);
  });

  it('runs on var.runtime (terraform-runtime.test.ts) and builds from the uploaded archive', () => {
    for (const bodies of Object.values(module.resources.google_cloudfunctions2_function ?? {})) {
      const build = (bodies[0]?.build_config as Record<string, unknown>[])[0] ?? {};
      expect(build.runtime).toBe('${var.runtime}');
      expect(JSON.stringify(build.source)).toContain('storage_source');
    }
    const object = module.resources.google_storage_bucket_object?.source?.[0] ?? {};
    expect(object.name).toMatch(/output_md5/);
  });
});

describe('environment variables', () => {
  const registrationsFor4 = new Map<string, 'cloudEvent' | 'http'>([
    ['onImagePush', 'cloudEvent'],
    ['onJobRequest', 'cloudEvent'],
    ['onJobStateChanged', 'cloudEvent'],
    ['webhook', 'http'],
  ]);

  it('sets every deployed variable: config and log level everywhere, webhook keys from Secret Manager on the webhook', () => {
    expect(ENV_VARS.filter((v) => v.deployed).length).toBeGreaterThanOrEqual(3);
    expect(checkFunctionEnv(module, ENV_VARS, registrationsFor4)).toEqual([]);
  });

  it('flags a missing deployed variable, a plain secret and an undeclared variable', async () => {
    const bad = await snippet(`
resource "google_cloudfunctions2_function" "hook" {
  build_config {
    entry_point = "webhook"
  }
  service_config {
    environment_variables = {
      STREAMGATE_CONFIG_JSON     = "{}"
      STREAMGATE_WEBHOOK_SECRETS = "hunter2"
      STREAMGATE_TYPO            = "x"
    }
  }
}
`);
    const problems = checkFunctionEnv(bad, ENV_VARS, registrationsFor4).join('\n');
    expect(problems).toMatch(/STREAMGATE_LOG_LEVEL is not set/);
    expect(problems).toMatch(/STREAMGATE_WEBHOOK_SECRETS is a plain environment variable/);
    expect(problems).toMatch(/STREAMGATE_TYPO, which shared\/adapters\/env.ts does not declare/);
  });

  it('reads no environment variable in shared/ or functions/ that env.ts does not declare', async () => {
    const declared = new Set<string>(ENV_VARS.map((v) => v.name));
    const files = [
      ...(await listTypeScript(join(ROOT, 'shared'))),
      ...(await listTypeScript(join(ROOT, 'functions'))),
    ];
    expect(files.length).toBeGreaterThan(0);
    const undeclared: string[] = [];
    for (const file of files) {
      for (const name of findEnvReads(await readFile(file, 'utf8'))) {
        if (!declared.has(name)) undeclared.push(`${relative(ROOT, file)}: ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('finds readEnv and process.env reads', () => {
    const source = "readEnv('STREAMGATE_LOG_LEVEL'); process.env.HOME; process.env['PORT']; readEnv(\"X_Y\")";
    expect(findEnvReads(source)).toEqual(['HOME', 'PORT', 'STREAMGATE_LOG_LEVEL', 'X_Y']);
  });
});

describe('IAM', () => {
  it('grants no basic role anywhere', () => {
    expect(findBasicRoles(module)).toEqual([]);
  });

  it('flags roles/editor, even behind a local', async () => {
    const bad = await snippet(`
locals {
  roles = ["roles/pubsub.editor", "roles/editor"]
}
resource "google_project_iam_member" "m" {
  for_each = toset(local.roles)
  role     = each.key
}
`);
    expect(findBasicRoles(bad)).toEqual([expect.stringMatching(/roles\/editor/)]);
  });

  it('never grants roles/iam.serviceAccountUser on the project', () => {
    expect(findProjectLevelServiceAccountUser(module)).toEqual([]);
  });

  it('grants actAs on the job service account itself', () => {
    const grant = Object.values(module.resources.google_service_account_iam_member ?? {})
      .flat()
      .find((b) => b.role === 'roles/iam.serviceAccountUser');
    expect(grant?.service_account_id).toMatch(/google_service_account\.job\./);
  });

  it('flags a project-level serviceAccountUser hidden in a for_each local', async () => {
    const bad = await snippet(`
locals {
  runtime_roles = ["roles/batch.jobsEditor", "roles/iam.serviceAccountUser"]
}
resource "google_project_iam_member" "runtime" {
  for_each = toset(local.runtime_roles)
  role     = each.key
}
`);
    expect(findProjectLevelServiceAccountUser(bad)).toEqual([
      expect.stringMatching(/google_project_iam_member\.runtime/),
    ]);
  });
});

describe('Pub/Sub paths', () => {
  const registrations = new Map<string, 'cloudEvent' | 'http'>([
    ['onImagePush', 'cloudEvent'],
    ['onJobRequest', 'cloudEvent'],
    ['onJobStateChanged', 'cloudEvent'],
    ['webhook', 'http'],
  ]);

  it('dead-letters every push subscription, and every CloudEvent function has one', () => {
    expect(checkDeadLettering(module, registrations)).toEqual([]);
  });

  it('pushes unwrapped only when push_unwrapped is set, and then always with write_metadata', () => {
    expect(module.variables.push_unwrapped?.default).toBe(false);
    for (const bodies of Object.values(module.resources.google_pubsub_subscription ?? {})) {
      const push = bodies[0]?.push_config as Record<string, unknown>[] | undefined;
      if (!push) continue;
      const dynamic = push[0]?.dynamic as { no_wrapper?: Record<string, unknown>[] } | undefined;
      const noWrapper = dynamic?.no_wrapper?.[0];
      expect(noWrapper?.for_each).toBe('${var.push_unwrapped ? [true] : []}');
      expect(noWrapper?.content).toEqual([{ write_metadata: true }]);
      expect(push[0]?.no_wrapper).toBeUndefined();
    }
  });

  it('has one push subscription and one dead-letter topic per CloudEvent function', () => {
    const cloudEventFunctions = [...entryPoints(module).values()].filter(
      (e) => registrations.get(e) === 'cloudEvent',
    );
    expect(cloudEventFunctions.sort()).toEqual(['onImagePush', 'onJobRequest', 'onJobStateChanged']);
  });

  it('flags a push subscription without dead-lettering and a function nobody pushes to', async () => {
    const bad = await snippet(`
resource "google_cloudfunctions2_function" "a" {
  build_config {
    entry_point = "onImagePush"
  }
}
resource "google_cloudfunctions2_function" "b" {
  build_config {
    entry_point = "onJobRequest"
  }
}
resource "google_pubsub_subscription" "a" {
  topic = "x"
  push_config {
    push_endpoint = "\${google_cloudfunctions2_function.a.url}/projects/p/topics/x"
    oidc_token {
      service_account_email = "invoker@p.iam.gserviceaccount.com"
    }
  }
}
`);
    const problems = checkDeadLettering(bad, registrations).join('\n');
    expect(problems).toMatch(/max_delivery_attempts is not set/);
    expect(problems).toMatch(/no dead_letter_topic/);
    expect(problems).toMatch(/google_cloudfunctions2_function\.b \(onJobRequest\): no push subscription/);
    expect(problems).not.toMatch(/google_cloudfunctions2_function\.a /);
  });

  it('flags out-of-range delivery attempts and a dead-letter topic the Pub/Sub agent cannot publish to', async () => {
    const bad = await snippet(`
resource "google_pubsub_topic" "dl" {
  name = "dl"
}
resource "google_pubsub_subscription" "keep" {
  topic = google_pubsub_topic.dl.id
}
resource "google_pubsub_subscription" "a" {
  topic = "x"
  push_config {
    push_endpoint = "https://f/projects/p/topics/x"
    oidc_token {
      service_account_email = "invoker@p.iam.gserviceaccount.com"
    }
  }
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dl.id
    max_delivery_attempts = 3
  }
}
`);
    const problems = checkDeadLettering(bad, registrations).join('\n');
    expect(problems).toMatch(/max_delivery_attempts 3 is not within 5\.\.100/);
    expect(problems).toMatch(
      /google_pubsub_topic\.dl: the Pub\/Sub service agent is not granted roles\/pubsub\.publisher/,
    );
    expect(problems).toMatch(/roles\/pubsub\.subscriber/);
    expect(problems).not.toMatch(/no subscription retains/);
  });
});

describe('APIs and variables', () => {
  it('enables Image streaming (containerfilesystem) and the other APIs streamgate needs', () => {
    const apis = enabledApis(module);
    for (const api of [
      'containerfilesystem.googleapis.com',
      'batch.googleapis.com',
      'artifactregistry.googleapis.com',
      'cloudfunctions.googleapis.com',
      'run.googleapis.com',
      'pubsub.googleapis.com',
      'secretmanager.googleapis.com',
      'cloudbuild.googleapis.com',
      'serviceusage.googleapis.com',
      'logging.googleapis.com',
      'monitoring.googleapis.com',
    ]) {
      expect(apis).toContain(api);
    }
    const services = module.resources.google_project_service?.apis?.[0];
    expect(services?.disable_on_destroy).toBe(false);
  });

  it('validates every variable with constrained values', () => {
    expect(checkValidations(module, CONSTRAINED_VARIABLES)).toEqual([]);
  });

  it('flags a constrained variable without validation', async () => {
    const bad = await snippet('variable "max_delivery_attempts" {\n  type    = number\n  default = 5\n}\n');
    expect(checkValidations(bad, ['max_delivery_attempts', 'region'])).toEqual([
      'variable max_delivery_attempts has no validation block',
      'variable region is not declared',
    ]);
  });

  it('exposes the webhook URL, topics, service accounts and function names', () => {
    for (const name of [
      'webhook_url',
      'topics',
      'dead_letter_topics',
      'service_accounts',
      'function_names',
      'monitoring',
    ]) {
      expect(module.outputs, name).toHaveProperty([name]);
    }
  });
});

describe('monitoring (dashboard.tf, alerts.tf; the metrics: terraform-monitoring.test.ts)', () => {
  it('alerts on dead letters, the refusal rate and function 5xx, each to the notification channels', () => {
    expect(checkAlertPolicies(module)).toEqual([]);
  });

  it('flags a missing alert, a policy without the channels and a dead-letter alert that waits', async () => {
    const bad = await snippet(`
resource "google_monitoring_alert_policy" "dl" {
  notification_channels = ["projects/p/notificationChannels/1"]
  conditions {
    condition_threshold {
      filter          = "metric.type=\\"pubsub.googleapis.com/subscription/num_undelivered_messages\\" AND resource.labels.subscription_id=\\"x\\""
      comparison      = "COMPARISON_GT"
      threshold_value = 10
    }
  }
}
`);
    expect(checkAlertPolicies(bad)).toEqual([
      'google_monitoring_alert_policy.dl: notification_channels is not var.alert_notification_channels',
      'google_monitoring_alert_policy.dl: the filter does not cover every dead-letter subscription',
      'google_monitoring_alert_policy.dl: must fire on any undelivered message (COMPARISON_GT 0)',
      'no alert on the functions\u2019 5xx answers (run.googleapis.com/request_count, 5xx)',
      'no refusal rate alert (a ratio condition with denominator_filter)',
    ]);
  });

  it("charts every logs-based metric, the functions' 5xx and the dead-letter backlog", () => {
    expect(checkDashboard(module)).toEqual([]);
  });

  it('flags a dashboard that leaves a metric out', async () => {
    const bad = await snippet(`
resource "google_logging_metric" "refusals" {
  name = "refusals"
}
resource "google_monitoring_dashboard" "d" {
  dashboard_json = jsonencode({ displayName = "x", filter = "metric.type=\\"run.googleapis.com/request_count\\"" })
}
`);
    expect(checkDashboard(bad)).toEqual([
      'google_monitoring_dashboard.d: no chart of google_logging_metric.refusals',
      "google_monitoring_dashboard.d: no chart of the functions' 5xx answers",
      'google_monitoring_dashboard.d: no chart of the dead-letter backlog',
    ]);
  });
});

/**
 * Replaces the variable references Terraform would fill: a whole `${var.X}` with the tfvars value
 * (or the variable's default) and `${try(var.X.F, null)}` with that field. Anything else (resource
 * attributes, for-expressions) becomes undefined, so the caller must supply it explicitly.
 */
function fillVariables(value: unknown, tfvars: Record<string, unknown>, tf: TerraformModule): unknown {
  if (typeof value === 'string') {
    const plain = /^\$\{var\.([a-z_]+)\}$/.exec(value);
    if (plain) return tfvars[plain[1] ?? ''] ?? tf.variables[plain[1] ?? '']?.default ?? undefined;
    const field = /^\$\{try\(var\.([a-z_]+)\.([a-z_]+), null\)\}$/.exec(value);
    if (field)
      return (tfvars[field[1] ?? ''] as Record<string, unknown> | undefined)?.[field[2] ?? ''] ?? null;
    return value.startsWith('${') ? undefined : value;
  }
  if (Array.isArray(value)) return value.map((item) => fillVariables(item, tfvars, tf));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, fillVariables(v, tfvars, tf)] as const);
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  return value;
}

describe('rendered config (STREAMGATE_CONFIG_JSON)', () => {
  it('uses only keys that shared/core/config.ts knows (the schema is strict)', () => {
    const managed = module.locals.managed_config as Record<string, unknown>;
    const sections = module.locals.rendered_sections as Record<string, unknown>;
    const shape = StreamgateConfigSchema.shape;
    const keys = [...Object.keys(managed), ...Object.keys(sections)];
    expect(keys).toEqual(
      expect.arrayContaining(['project', 'topics', 'jobServiceAccount', 'rules', 'policy']),
    );
    expect(keys.filter((key) => !(key in shape))).toEqual([]);
    const topicKeys = Object.keys(shape.topics.shape);
    expect(Object.keys(managed.topics as object).filter((key) => !topicKeys.includes(key))).toEqual([]);
    const policyKeys = Object.keys(PolicySchema.shape);
    expect(
      Object.keys(module.locals.policy_fields as object).filter((key) => !policyKeys.includes(key)),
    ).toEqual([]);
  });

  it('turns the example terraform.tfvars into a config the schema accepts', async () => {
    const text = await readFile(join(TERRAFORM_DIR, 'terraform.tfvars.example'), 'utf8');
    const { parse } = await import('@cdktf/hcl2json');
    const tfvars = (await parse('terraform.tfvars', text)) as Record<string, unknown>;
    const sections = fillVariables(module.locals.rendered_sections, tfvars, module) as Record<
      string,
      unknown
    >;
    const policyFields = fillVariables(module.locals.policy_fields, tfvars, module) as Record<
      string,
      unknown
    >;
    const config = parseConfig({
      ...sections,
      project: tfvars.project_id,
      projectNumber: '123456789012',
      jobServiceAccount: `${String(tfvars.job_service_account_id)}@${String(tfvars.project_id)}.iam.gserviceaccount.com`,
      topics: {
        events: 'streamgate-events',
        notifications: 'streamgate-batch-notifications',
        requests: 'r-1',
        gcr: 'gcr',
      },
      policy: Object.fromEntries(Object.entries(policyFields).filter(([, v]) => v !== null)),
    });
    expect(config.rules.map((rule) => rule.name)).toEqual(['nightly-etl', 'render']);
    expect(config.policy.maxTaskCount).toBe((tfvars.policy as { max_task_count: number }).max_task_count);
    expect(config.webhook.toleranceSeconds).toBe(tfvars.webhook_tolerance_seconds);
  });
});
