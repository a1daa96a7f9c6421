/**
 * Checks of the monitoring part of the Terraform module (monitoring.tf, dashboard.tf, alerts.tf),
 * on the hcl2json model of `terraform.ts`. Like the other checkers, each returns a list of
 * problems (empty = fine), so tests can feed them broken snippets.
 *
 * Filters are mostly built from locals (`${local.function_5xx_filter}`); `expandLocals` inlines
 * them, so a check reads the text Terraform would send.
 *
 * @example
 *   const module = await loadTerraformModule('infra/terraform');
 *   expect(checkLogMetricFields(module, pipelineLogLines)).toEqual([]);
 */
import { firstBody, instancesOf, referenceOf, type Body, type TerraformModule } from './terraform.js';

/** A logs-based metric: the messages its filter selects and every `jsonPayload.*` path it reads. */
export interface LogMetricUse {
  where: string;
  /** `jsonPayload.message` values the filter accepts (`="a"` or `=("a" OR "b")`). */
  messages: string[];
  /** Field paths below jsonPayload, `message` excluded, e.g. `reasonCode`. */
  paths: string[];
}

const PAYLOAD_PATH = /jsonPayload\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g;

/** What each `google_logging_metric` reads from the log lines. */
export function logMetricUses(module: TerraformModule): LogMetricUse[] {
  return instancesOf(module, 'google_logging_metric').map((instance) => {
    const { body } = instance;
    const filter = expandLocals(module, String(body.filter ?? ''));
    const extractors = [
      ...Object.values((body.label_extractors ?? {}) as Record<string, unknown>),
      body.value_extractor,
    ].filter((v): v is string => typeof v === 'string');
    const paths = new Set<string>();
    for (const text of [filter, ...extractors]) {
      for (const match of text.matchAll(PAYLOAD_PATH)) if (match[1] !== 'message') paths.add(match[1] ?? '');
    }
    return { where: referenceOf(instance), messages: filterMessages(filter), paths: [...paths].sort() };
  });
}

/** The values `jsonPayload.message` is compared to: `="x"` or `=("x" OR "y")`. */
function filterMessages(filter: string): string[] {
  const match =
    /jsonPayload\.message\s*=\s*(\("(?:[^"\\]|\\.)*"(?:\s+OR\s+"(?:[^"\\]|\\.)*")*\)|"(?:[^"\\]|\\.)*")/.exec(
      filter,
    );
  if (!match) return [];
  return [...(match[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

/**
 * Every metric selects some line the logger wrote (by `jsonPayload.message`), and every field
 * path the metric reads is present in each such line.
 */
export function checkLogMetricFields(
  module: TerraformModule,
  lines: ReadonlyArray<Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const uses = logMetricUses(module);
  if (uses.length === 0) problems.push('no google_logging_metric in the module');
  for (const use of uses) {
    if (use.messages.length === 0) {
      problems.push(`${use.where}: the filter selects no jsonPayload.message`);
      continue;
    }
    for (const message of use.messages) {
      const matching = lines.filter((line) => line.message === message);
      if (matching.length === 0) {
        problems.push(`${use.where}: no log line has message ${JSON.stringify(message)}`);
        continue;
      }
      for (const path of use.paths) {
        if (matching.some((line) => valueAt(line, path) === undefined)) {
          problems.push(`${use.where}: lines "${message}" have no field ${path} (jsonPayload.${path})`);
        }
      }
    }
  }
  return problems;
}

function valueAt(line: Record<string, unknown>, path: string): unknown {
  let value: unknown = line;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Each metric's label extractors and descriptor labels name the same labels; each extractor
 * extracts; a DISTRIBUTION has a value extractor and buckets, a counter has neither.
 */
export function checkLogMetricShapes(module: TerraformModule): string[] {
  const problems: string[] = [];
  for (const instance of instancesOf(module, 'google_logging_metric')) {
    const where = referenceOf(instance);
    const descriptor = firstBody(instance.body.metric_descriptor);
    const declared = asBodies(descriptor.labels).map((label) => String(label.key ?? ''));
    const extractors = (instance.body.label_extractors ?? {}) as Record<string, unknown>;
    const extracted = Object.keys(extractors);
    for (const key of extracted.filter((k) => !declared.includes(k)))
      problems.push(`${where}: label_extractors.${key} has no metric_descriptor label`);
    for (const key of declared.filter((k) => !extracted.includes(k)))
      problems.push(`${where}: label ${key} has no label extractor`);
    for (const [key, extractor] of Object.entries(extractors)) {
      if (!/^(EXTRACT|REGEXP_EXTRACT)\(jsonPayload\.[A-Za-z0-9_.]+/.test(String(extractor)))
        problems.push(`${where}: label_extractors.${key} does not extract a jsonPayload field`);
    }
    const distribution = descriptor.value_type === 'DISTRIBUTION';
    if (distribution && (!instance.body.value_extractor || !instance.body.bucket_options))
      problems.push(`${where}: a DISTRIBUTION needs value_extractor and bucket_options`);
    if (!distribution && instance.body.value_extractor !== undefined)
      problems.push(`${where}: a counter must not set value_extractor`);
    if (descriptor.metric_kind !== 'DELTA') problems.push(`${where}: logs-based metrics are DELTA`);
  }
  return problems;
}

/** Every alert policy notifies the channels variable, and the three alerts the issue asks for exist. */
export function checkAlertPolicies(module: TerraformModule): string[] {
  const problems: string[] = [];
  const policies = instancesOf(module, 'google_monitoring_alert_policy');
  for (const policy of policies) {
    if (policy.body.notification_channels !== '${var.alert_notification_channels}')
      problems.push(`${referenceOf(policy)}: notification_channels is not var.alert_notification_channels`);
  }
  const conditions = policies.flatMap((policy) =>
    asBodies(policy.body.conditions).map((condition) => ({
      where: referenceOf(policy),
      threshold: firstBody(condition.condition_threshold),
    })),
  );
  const filterOf = (t: Body, key = 'filter') => expandLocals(module, String(t[key] ?? ''));
  const deadLetter = conditions.find(({ threshold }) =>
    filterOf(threshold).includes('pubsub.googleapis.com/subscription/num_undelivered_messages'),
  );
  if (!deadLetter) problems.push('no alert on num_undelivered_messages of the dead-letter subscriptions');
  else {
    if (!filterOf(deadLetter.threshold).includes('google_pubsub_subscription.dead_letter_retained'))
      problems.push(`${deadLetter.where}: the filter does not cover every dead-letter subscription`);
    if (deadLetter.threshold.comparison !== 'COMPARISON_GT' || deadLetter.threshold.threshold_value !== 0)
      problems.push(`${deadLetter.where}: must fire on any undelivered message (COMPARISON_GT 0)`);
  }
  const fiveXx = conditions.find(({ threshold }) =>
    filterOf(threshold).includes('run.googleapis.com/request_count'),
  );
  if (!fiveXx || !/response_code_class=\\?"5xx\\?"/.test(filterOf(fiveXx.threshold)))
    problems.push('no alert on the functions\u2019 5xx answers (run.googleapis.com/request_count, 5xx)');
  else if (!filterOf(fiveXx.threshold).includes('google_cloudfunctions2_function.webhook'))
    problems.push(`${fiveXx.where}: the 5xx filter does not cover every function`);
  const refusals = conditions.find(({ threshold }) => threshold.denominator_filter !== undefined);
  if (!refusals) problems.push('no refusal rate alert (a ratio condition with denominator_filter)');
  else {
    const [numerator, denominator] = [
      filterOf(refusals.threshold),
      filterOf(refusals.threshold, 'denominator_filter'),
    ];
    if (!numerator.includes('google_logging_metric.refusals.name'))
      problems.push(`${refusals.where}: the numerator is not the refusals metric`);
    if (!denominator.includes('google_logging_metric.decisions.name'))
      problems.push(`${refusals.where}: the denominator is not the decisions metric`);
    if (!String(refusals.threshold.threshold_value).includes('var.'))
      problems.push(`${refusals.where}: the refusal threshold is not a variable`);
  }
  return problems;
}

/** The dashboard charts every logs-based metric, the functions' 5xx and the dead-letter backlog. */
export function checkDashboard(module: TerraformModule): string[] {
  const dashboards = instancesOf(module, 'google_monitoring_dashboard');
  if (dashboards.length !== 1)
    return [`expected one google_monitoring_dashboard, found ${dashboards.length}`];
  const where = referenceOf(dashboards[0]!);
  const text = expandLocals(module, String(dashboards[0]!.body.dashboard_json ?? ''));
  const problems: string[] = [];
  if (!text.startsWith('${jsonencode('))
    problems.push(`${where}: dashboard_json is not built with jsonencode`);
  for (const metric of instancesOf(module, 'google_logging_metric')) {
    if (!text.includes(`${referenceOf(metric)}.name`))
      problems.push(`${where}: no chart of ${referenceOf(metric)}`);
  }
  if (!text.includes('run.googleapis.com/request_count') || !/response_code_class=\\?"5xx\\?"/.test(text))
    problems.push(`${where}: no chart of the functions' 5xx answers`);
  if (!text.includes('pubsub.googleapis.com/subscription/num_undelivered_messages'))
    problems.push(`${where}: no chart of the dead-letter backlog`);
  return problems;
}

/**
 * Inlines `local.X` and `local.X.Y` references (a few levels deep) with the local's value: its
 * text, or its JSON for structured locals. References to anything else stay as they are.
 */
function expandLocals(module: TerraformModule, text: string, depth = 4): string {
  if (depth === 0) return text;
  const expanded = text.replace(
    /\blocal\.([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?/g,
    (whole, name: string, field?: string) => {
      if (!Object.hasOwn(module.locals, name)) return whole;
      let value: unknown = module.locals[name];
      if (field !== undefined) {
        if (value === null || typeof value !== 'object' || !Object.hasOwn(value, field)) return whole;
        value = (value as Record<string, unknown>)[field];
      }
      return typeof value === 'string' ? value : JSON.stringify(value);
    },
  );
  return expanded === text ? text : expandLocals(module, expanded, depth - 1);
}

function asBodies(value: unknown): Body[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is Body => !!v && typeof v === 'object');
}
