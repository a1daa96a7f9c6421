/**
 * Static checks of the Terraform root module in `infra/terraform`, on the JSON form that
 * `@cdktf/hcl2json` produces (no Terraform binary needed). Every checker returns a list of problems
 * (empty = fine), so tests can feed it small snippets and expect a problem to be flagged.
 *
 * hcl2json keeps expressions as `"${…}"` strings and blocks as arrays of bodies. The checkers expand
 * `for_each` over locals and variable defaults and substitute `each.key` / `each.value.X` so that
 * per-instance values (entry points, references) can be read.
 *
 * @example
 *   const module = await loadTerraformModule('infra/terraform');
 *   expect(findBasicRoles(module)).toEqual([]);
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

type Json = unknown;
export type Body = Record<string, Json>;
type Blocks = Record<string, Record<string, Body[]>>;

export interface TerraformModule {
  files: string[];
  resources: Blocks;
  data: Blocks;
  variables: Record<string, Body>;
  locals: Record<string, Json>;
  outputs: Record<string, Body>;
}

export interface SourceFile {
  name: string;
  text: string;
}

/** Parses HCL files into one module; rejects with the file name when a file does not parse. */
export async function parseTerraformFiles(files: readonly SourceFile[]): Promise<TerraformModule> {
  const module: TerraformModule = {
    files: [],
    resources: {},
    data: {},
    variables: {},
    locals: {},
    outputs: {},
  };
  for (const file of files) {
    let parsed: Record<string, Json>;
    try {
      parsed = await parse(file.name, file.text);
    } catch (error) {
      throw new Error(`${file.name} does not parse: ${String(error)}`, { cause: error });
    }
    module.files.push(file.name);
    mergeBlocks(module.resources, parsed.resource);
    mergeBlocks(module.data, parsed.data);
    for (const [name, bodies] of Object.entries(asRecord(parsed.variable)))
      module.variables[name] = firstBody(bodies);
    for (const [name, bodies] of Object.entries(asRecord(parsed.output)))
      module.outputs[name] = firstBody(bodies);
    for (const block of asArray(parsed.locals)) Object.assign(module.locals, asRecord(block));
  }
  return module;
}

/** The text of every `*.tf` file of a folder, sorted by name (tests mutate it before parsing). */
export async function readTerraformFiles(dir: string): Promise<SourceFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.tf')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

/** Reads and parses every `*.tf` file of a folder. */
export async function loadTerraformModule(dir: string): Promise<TerraformModule> {
  return parseTerraformFiles(await readTerraformFiles(dir));
}

export interface Instance {
  type: string;
  name: string;
  /** for_each key, or count index; undefined for a single resource. */
  key?: string | number;
  body: Body;
}

/** How other resources refer to an instance, e.g. `google_pubsub_topic.dead_letter["image-push"]`. */
export function referenceOf(instance: Instance): string {
  const base = `${instance.type}.${instance.name}`;
  if (instance.key === undefined) return base;
  return typeof instance.key === 'number' ? `${base}[${instance.key}]` : `${base}["${instance.key}"]`;
}

/**
 * The instances of every resource (or data source) of a type, with `each.*` substituted.
 * `count` counts as one possible instance (index 0), since it is usually a feature switch.
 * Throws on a `for_each` expression it cannot resolve, so that a check never passes vacuously.
 */
export function instancesOf(
  module: TerraformModule,
  type: string,
  kind: 'resource' | 'data' = 'resource',
): Instance[] {
  const byName = (kind === 'resource' ? module.resources : module.data)[type] ?? {};
  const instances: Instance[] = [];
  for (const [name, bodies] of Object.entries(byName)) {
    const body = firstBody(bodies);
    if (body.for_each !== undefined) {
      for (const [key, value] of forEachEntries(module, body.for_each, `${type}.${name}`)) {
        instances.push({ type, name, key, body: substituteEach(body, key, value) as Body });
      }
    } else if (body.count !== undefined) {
      const count = typeof body.count === 'number' ? body.count : 1;
      for (let index = 0; index < count; index += 1) instances.push({ type, name, key: index, body });
    } else {
      instances.push({ type, name, body });
    }
  }
  return instances;
}

function forEachEntries(module: TerraformModule, expression: Json, where: string): [string, Json][] {
  const text = typeof expression === 'string' ? expression : '';
  const match = /^\$\{(?:toset\()?(local|var)\.([A-Za-z0-9_]+)\)?\}$/.exec(text);
  if (!match) throw new Error(`${where}: cannot resolve for_each = ${JSON.stringify(expression)}`);
  const [, scope, name = ''] = match;
  const value = scope === 'local' ? module.locals[name] : module.variables[name]?.default;
  if (Array.isArray(value)) return value.map((item) => [String(item), item]);
  if (value && typeof value === 'object') return Object.entries(value as Record<string, Json>);
  const product = typeof value === 'string' ? setProductEntries(module, value) : undefined;
  if (product !== undefined) return product;
  throw new Error(`${where}: for_each source ${scope}.${name} is not a literal list or map`);
}

/**
 * Evaluates a map built over `setproduct(local.A, var.B)` (iam.tf's repair grants), with B's
 * default (a test may set another): each attribute is `pair[0]`, `pair[1].F` or
 * `coalesce(pair[1].F, var.V)` (V's default, else the text `${var.V}`), and the key the
 * `"${…}/${…}"` template of those. Undefined for any other shape.
 */
function setProductEntries(module: TerraformModule, text: string): [string, Json][] | undefined {
  const head =
    /^\$\{\{\s*for pair in setproduct\(local\.(\w+), var\.(\w+)\) :\s*"([^\n]*)" => \{([^}]*)\}\s*\}\}$/s.exec(
      text,
    );
  if (!head) return undefined;
  const [, localName = '', varName = '', keyTemplate = '', attributes = ''] = head;
  const left = module.locals[localName];
  const right = module.variables[varName]?.default;
  if (!Array.isArray(left) || !Array.isArray(right)) return undefined;
  const evaluate = (expression: string, pair: [Json, Json]): Json => {
    const trimmed = expression.trim();
    if (trimmed === 'pair[0]') return pair[0];
    const field = /^pair\[1\]\.(\w+)$/.exec(trimmed);
    if (field) return (pair[1] as Record<string, Json>)[field[1] ?? ''] ?? null;
    const fallback = /^coalesce\(pair\[1\]\.(\w+), var\.(\w+)\)$/.exec(trimmed);
    if (fallback) {
      const own = (pair[1] as Record<string, Json>)[fallback[1] ?? ''];
      return own ?? module.variables[fallback[2] ?? '']?.default ?? `\${var.${fallback[2]}}`;
    }
    throw new Error(`cannot evaluate ${trimmed}`);
  };
  return left.flatMap((a) =>
    right.map((b): [string, Json] => {
      const pair: [Json, Json] = [a, b];
      const key = keyTemplate.replace(/\$\{([^}]*(?:\([^)]*\))?[^}]*)\}/g, (_, e: string) =>
        String(evaluate(e, pair)),
      );
      const object: Record<string, Json> = {};
      for (const line of attributes.split('\n')) {
        const match = /^\s*(\w+)\s*=\s*(.+?)\s*$/.exec(line);
        if (match) object[match[1] ?? ''] = evaluate(match[2] ?? '', pair);
      }
      return [key, object];
    }),
  );
}

function substituteEach(value: Json, key: string, eachValue: Json): Json {
  if (typeof value === 'string') {
    const whole = /^\$\{each\.value\.([A-Za-z0-9_]+)\}$/.exec(value);
    if (whole) return (eachValue as Record<string, Json>)[whole[1] ?? ''];
    if (value === '${each.key}' || value === '${each.value}') return key;
    return value
      .replace(/each\.value\.([A-Za-z0-9_]+)/g, (_, field: string) =>
        JSON.stringify((eachValue as Record<string, Json>)[field] ?? null),
      )
      .replace(/each\.key/g, JSON.stringify(key))
      .replace(/each\.value/g, JSON.stringify(typeof eachValue === 'string' ? eachValue : key));
  }
  if (Array.isArray(value)) return value.map((item) => substituteEach(item, key, eachValue));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEach(v, key, eachValue)]));
  }
  return value;
}

/**
 * `"name" → "cloudEvent" | "http"` from the registrations in functions/index.ts. `cloudEvent`
 * stands for a Pub/Sub-pushed event function, registered with functions-framework's `cloudEvent`
 * or with index.ts's `pubsubPush` (an HTTP function that reads the push itself).
 */
export function parseRegistrations(indexSource: string): Map<string, 'cloudEvent' | 'http'> {
  const registrations = new Map<string, 'cloudEvent' | 'http'>();
  const pattern = /\b(cloudEvent|pubsubPush|http)\s*(?:<[^(]*>)?\s*\(\s*['"`]([^'"`]+)['"`]/g;
  for (const match of indexSource.matchAll(pattern)) {
    registrations.set(match[2] ?? '', match[1] === 'http' ? 'http' : 'cloudEvent');
  }
  return registrations;
}

export interface DeployedFunction {
  instance: Instance;
  entryPoint: string;
}

/** Every `google_cloudfunctions2_function` instance with its entry point. */
export function deployedFunctions(module: TerraformModule): DeployedFunction[] {
  return instancesOf(module, 'google_cloudfunctions2_function').map((instance) => ({
    instance,
    entryPoint: String(firstBody(instance.body.build_config).entry_point ?? ''),
  }));
}

/** Entry points used in Terraform, by function reference. */
export function entryPoints(module: TerraformModule): Map<string, string> {
  return new Map(deployedFunctions(module).map((f) => [referenceOf(f.instance), f.entryPoint]));
}

/** Every deployed function's entry point is a literal registered in functions/index.ts. */
export function checkEntryPoints(module: TerraformModule, registrations: Map<string, string>): string[] {
  const problems: string[] = [];
  const functions = deployedFunctions(module);
  if (functions.length === 0) problems.push('no google_cloudfunctions2_function in the module');
  for (const { instance, entryPoint } of functions) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(entryPoint)) {
      problems.push(
        `${referenceOf(instance)}: entry_point ${JSON.stringify(entryPoint)} is not a literal name`,
      );
    } else if (!registrations.has(entryPoint)) {
      problems.push(
        `${referenceOf(instance)}: entry point ${entryPoint} is not registered in functions/index.ts`,
      );
    }
  }
  return problems;
}

export interface EnvVarDeclaration {
  name: string;
  deployed: boolean;
}

/** Variables that carry secrets: set only on HTTP functions, and only from Secret Manager. */
const isSecretVar = (name: string): boolean => /SECRET/.test(name);

/**
 * Each function sets every deployed variable (secret ones only on HTTP functions, through
 * `secret_environment_variables`), and sets nothing that env.ts does not declare.
 */
export function checkFunctionEnv(
  module: TerraformModule,
  declared: readonly EnvVarDeclaration[],
  registrations: Map<string, 'cloudEvent' | 'http'>,
): string[] {
  const problems: string[] = [];
  const declaredNames = new Set(declared.map((v) => v.name));
  for (const { instance, entryPoint } of deployedFunctions(module)) {
    const where = referenceOf(instance);
    const service = firstBody(instance.body.service_config);
    const plain = service.environment_variables;
    if (plain !== undefined && (typeof plain !== 'object' || plain === null || Array.isArray(plain))) {
      problems.push(`${where}: environment_variables must be a literal map so that it can be checked`);
      continue;
    }
    const plainNames = Object.keys((plain ?? {}) as Record<string, Json>);
    const secretBlocks = asArray(service.secret_environment_variables).map(asRecord);
    const secretNames = secretBlocks.map((block) => String(block.key ?? ''));
    for (const block of secretBlocks) {
      if (!block.secret || !block.version)
        problems.push(`${where}: secret ${String(block.key)} needs secret and version`);
    }
    for (const name of [...plainNames, ...secretNames]) {
      if (!declaredNames.has(name))
        problems.push(`${where}: sets ${name}, which shared/adapters/env.ts does not declare`);
    }
    for (const name of plainNames.filter(isSecretVar)) {
      problems.push(`${where}: ${name} is a plain environment variable; it must come from Secret Manager`);
    }
    const isHttp = registrations.get(entryPoint) === 'http';
    for (const variable of declared.filter((v) => v.deployed)) {
      if (isSecretVar(variable.name)) {
        if (isHttp && !secretNames.includes(variable.name)) {
          problems.push(
            `${where}: ${variable.name} is not set from Secret Manager (secret_environment_variables)`,
          );
        }
      } else if (!plainNames.includes(variable.name) && !secretNames.includes(variable.name)) {
        problems.push(`${where}: deployed variable ${variable.name} is not set`);
      }
    }
  }
  return problems;
}

/** Environment variable names read in TypeScript source: `readEnv('X')`, `process.env.X`, `process.env['X']`. */
export function findEnvReads(source: string): string[] {
  const names = new Set<string>();
  const patterns = [
    /\breadEnv\(\s*['"`]([A-Z0-9_]+)['"`]/g,
    /\bprocess\.env\.([A-Z0-9_]+)/g,
    /\bprocess\.env\[\s*['"`]([A-Z0-9_]+)['"`]\s*\]/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) names.add(match[1] ?? '');
  return [...names].sort();
}

const BASIC_ROLE = /\broles\/(owner|editor|viewer)\b/;

/** Every place a basic role (roles/owner, roles/editor, roles/viewer) appears, anywhere in the module. */
export function findBasicRoles(module: TerraformModule): string[] {
  const problems: string[] = [];
  walkStrings(module, '', (path, text) => {
    if (BASIC_ROLE.test(text)) problems.push(`${path}: basic role in ${JSON.stringify(text)}`);
  });
  return problems;
}

const PROJECT_WIDE_IAM = /^google_(project|folder|organization)_iam_(member|binding|policy)$/;

/** Project-, folder- or org-level grants of roles/iam.serviceAccountUser (locals and defaults they use included). */
export function findProjectLevelServiceAccountUser(module: TerraformModule): string[] {
  const problems: string[] = [];
  for (const [type, byName] of Object.entries(module.resources)) {
    if (!PROJECT_WIDE_IAM.test(type)) continue;
    for (const [name, bodies] of Object.entries(byName)) {
      if (expandedText(module, bodies).includes('roles/iam.serviceAccountUser')) {
        problems.push(
          `${type}.${name}: grants roles/iam.serviceAccountUser project-wide; grant it on the job service account only`,
        );
      }
    }
  }
  return problems;
}

/** The APIs `google_project_service` enables. */
export function enabledApis(module: TerraformModule): string[] {
  return instancesOf(module, 'google_project_service').map((instance) => String(instance.body.service));
}

const PUBSUB_AGENT = 'gcp-sa-pubsub.iam.gserviceaccount.com';

/**
 * Dead-lettering on every Pub/Sub path: each push subscription has a dead-letter topic (with a
 * retention subscription and the Pub/Sub agent as publisher), max_delivery_attempts, OIDC auth and
 * the Pub/Sub agent as subscriber on it; and each CloudEvent function is pushed to by one.
 */
export function checkDeadLettering(
  module: TerraformModule,
  registrations: Map<string, 'cloudEvent' | 'http'>,
): string[] {
  const problems: string[] = [];
  const topics = instancesOf(module, 'google_pubsub_topic');
  const subscriptions = instancesOf(module, 'google_pubsub_subscription');
  const topicIam = instancesOf(module, 'google_pubsub_topic_iam_member');
  const subscriptionIam = instancesOf(module, 'google_pubsub_subscription_iam_member');
  const push = subscriptions.filter((s) => s.body.push_config !== undefined);

  for (const subscription of push) {
    const where = referenceOf(subscription);
    const pushConfig = firstBody(subscription.body.push_config);
    const endpoint = String(pushConfig.push_endpoint ?? '');
    if (!/\/projects\/.+\/topics\/.+$/.test(endpoint)) {
      problems.push(
        `${where}: push_endpoint must end in /projects/<project>/topics/<topic> (functions-framework reads the topic from it)`,
      );
    }
    if (!firstBody(pushConfig.oidc_token).service_account_email)
      problems.push(`${where}: push_config has no oidc_token`);

    const policy = firstBody(subscription.body.dead_letter_policy);
    const attempts = policy.max_delivery_attempts;
    if (attempts === undefined)
      problems.push(`${where}: dead_letter_policy.max_delivery_attempts is not set`);
    else if (!attemptsInRange(module, attempts))
      problems.push(`${where}: max_delivery_attempts ${String(attempts)} is not within 5..100`);

    const deadLetter = topics.find((t) =>
      String(policy.dead_letter_topic ?? '').includes(`${referenceOf(t)}.`),
    );
    if (!deadLetter) {
      problems.push(
        `${where}: dead_letter_policy has no dead_letter_topic naming a google_pubsub_topic of this module`,
      );
      continue;
    }
    const dl = referenceOf(deadLetter);
    if (!subscriptions.some((s) => s !== subscription && String(s.body.topic ?? '').includes(`${dl}.`))) {
      problems.push(`${dl}: no subscription retains its dead letters`);
    }
    const agentPublishes = topicIam.some(
      (b) =>
        String(b.body.topic ?? '').includes(`${dl}.`) &&
        b.body.role === 'roles/pubsub.publisher' &&
        expandedText(module, [b.body]).includes(PUBSUB_AGENT),
    );
    if (!agentPublishes)
      problems.push(`${dl}: the Pub/Sub service agent is not granted roles/pubsub.publisher on it`);
    const agentSubscribes = subscriptionIam.some(
      (b) =>
        String(b.body.subscription ?? '').includes(`${where}.`) &&
        b.body.role === 'roles/pubsub.subscriber' &&
        expandedText(module, [b.body]).includes(PUBSUB_AGENT),
    );
    if (!agentSubscribes)
      problems.push(`${where}: the Pub/Sub service agent is not granted roles/pubsub.subscriber on it`);
  }

  for (const { instance, entryPoint } of deployedFunctions(module)) {
    if (registrations.get(entryPoint) !== 'cloudEvent') continue;
    const fn = referenceOf(instance);
    if (!push.some((s) => String(firstBody(s.body.push_config).push_endpoint ?? '').includes(`${fn}.`))) {
      problems.push(`${fn} (${entryPoint}): no push subscription with dead-lettering delivers to it`);
    }
  }
  return problems;
}

function attemptsInRange(module: TerraformModule, attempts: Json): boolean {
  const inRange = (n: Json): boolean => typeof n === 'number' && n >= 5 && n <= 100;
  if (inRange(attempts)) return true;
  const match = /^\$\{var\.([A-Za-z0-9_]+)\}$/.exec(String(attempts));
  const variable = match ? module.variables[match[1] ?? ''] : undefined;
  return variable !== undefined && inRange(variable.default) && asArray(variable.validation).length > 0;
}

/** Each named variable exists and has a validation block whose condition uses it and that explains itself. */
export function checkValidations(module: TerraformModule, names: readonly string[]): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const variable = module.variables[name];
    if (!variable) {
      problems.push(`variable ${name} is not declared`);
      continue;
    }
    const validations = asArray(variable.validation).map(asRecord);
    if (validations.length === 0) problems.push(`variable ${name} has no validation block`);
    for (const validation of validations) {
      if (!String(validation.condition ?? '').includes(`var.${name}`)) {
        problems.push(`variable ${name}: a validation condition does not use var.${name}`);
      }
      if (!String(validation.error_message ?? '').trim())
        problems.push(`variable ${name}: a validation has no error_message`);
    }
  }
  return problems;
}

// ---- small JSON helpers ----

function asRecord(value: Json): Record<string, Json> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, Json>) : {};
}

function asArray(value: Json): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first body of a block (hcl2json gives blocks as arrays of bodies), or `{}`. */
export function firstBody(value: Json): Body {
  return asRecord(asArray(value)[0]);
}

function mergeBlocks(target: Blocks, source: Json): void {
  for (const [type, byName] of Object.entries(asRecord(source))) {
    target[type] ??= {};
    for (const [name, bodies] of Object.entries(asRecord(byName))) {
      if (target[type][name]) throw new Error(`${type}.${name} is declared twice`);
      target[type][name] = asArray(bodies).map(asRecord);
    }
  }
}

function walkStrings(value: Json, path: string, visit: (path: string, text: string) => void): void {
  if (typeof value === 'string') visit(path, value);
  else if (Array.isArray(value))
    value.forEach((item, index) => walkStrings(item, `${path}[${index}]`, visit));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walkStrings(item, path ? `${path}.${key}` : key, visit);
  }
}

/** A body's JSON text plus that of the locals and variable defaults it refers to (one level). */
function expandedText(module: TerraformModule, bodies: readonly Json[]): string {
  const text = JSON.stringify(bodies);
  const extra: string[] = [];
  for (const match of text.matchAll(/\blocal\.([A-Za-z0-9_]+)/g))
    extra.push(JSON.stringify(module.locals[match[1] ?? ''] ?? null));
  for (const match of text.matchAll(/\bvar\.([A-Za-z0-9_]+)/g)) {
    extra.push(JSON.stringify(module.variables[match[1] ?? '']?.default ?? null));
  }
  return [text, ...extra].join('\n');
}
