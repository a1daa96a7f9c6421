/**
 * Least-privilege checks of the Terraform module, per deployed function: which service account each
 * function runs as, and which IAM grants name that account. Built on the hcl2json model of
 * `terraform.ts`; like the other checkers, each returns a list of problems (empty = fine).
 *
 * A grant is any `google_*_iam_member` / `google_*_iam_binding` instance. Its scope is read from the
 * resource type and its target attribute (`topic`, `secret_id`, `service_account_id`, …); a grant
 * is someone's when its member text refers to that service account of the module.
 *
 * @example
 *   const module = await loadTerraformModule('infra/terraform');
 *   expect(checkSecretReaders(module, ['webhook'])).toEqual([]);
 */
import { deployedFunctions, firstBody, instancesOf, referenceOf, type TerraformModule } from './terraform.js';

export interface Grant {
  /** The IAM resource instance, e.g. `google_project_iam_member.function_reads_jobs["job-state"]`. */
  where: string;
  role: string;
  /** `project` (also folder / organization), or the IAM resource's kind, e.g. `pubsub_topic`. */
  scope: string;
  /** The target attribute's text (topic, secret, service account…); empty for project grants. */
  target: string;
  /** Member texts, each with `each.*` substituted. */
  members: string[];
}

const IAM_RESOURCE = /^google_(.+)_iam_(member|binding)$/;
const WIDE_SCOPES = new Set(['project', 'folder', 'organization']);
const TARGET_ATTRIBUTES = [
  'topic',
  'secret_id',
  'service_account_id',
  'subscription',
  'service',
  'name',
  'repository',
];

/** Every IAM grant of the module, one per resource instance. */
export function grantsOf(module: TerraformModule): Grant[] {
  const grants: Grant[] = [];
  for (const type of Object.keys(module.resources)) {
    const match = IAM_RESOURCE.exec(type);
    if (!match) continue;
    for (const instance of instancesOf(module, type)) {
      const { body } = instance;
      const members = match[2] === 'binding' ? (body.members as unknown[]) : [body.member];
      const attribute = TARGET_ATTRIBUTES.find((name) => body[name] !== undefined);
      grants.push({
        where: referenceOf(instance),
        role: String(body.role ?? ''),
        scope: match[1] ?? '',
        target: WIDE_SCOPES.has(match[1] ?? '') || !attribute ? '' : String(body[attribute]),
        members: (Array.isArray(members) ? members : []).map(String),
      });
    }
  }
  return grants;
}

const ACCOUNT_REFERENCE = /google_service_account\.[A-Za-z0-9_-]+(?:\["[^"]*"\]|\[\d+\])?(?=\.)/;

/** `google_service_account.function["webhook"]` from `${google_service_account.function["webhook"].email}`. */
function accountReferenceIn(text: string): string | undefined {
  return ACCOUNT_REFERENCE.exec(text)?.[0];
}

/** The service account each deployed function runs as, by entry point (undefined: none of this module). */
export function functionAccounts(module: TerraformModule): Map<string, string | undefined> {
  const accounts = new Map<string, string | undefined>();
  for (const { instance, entryPoint } of deployedFunctions(module)) {
    const email = firstBody(instance.body.service_config).service_account_email;
    accounts.set(entryPoint, email === undefined ? undefined : accountReferenceIn(String(email)));
  }
  return accounts;
}

/** The grants whose members include the account (referenced as `<account>.member` or `.email`). */
export function grantsTo(module: TerraformModule, account: string): Grant[] {
  return grantsOf(module).filter((grant) =>
    grant.members.some((member) => accountReferenceIn(member) === account),
  );
}

/** `role @ scope[:target]` for each grant of a function's account: what the tests compare. */
export function describeGrant(grant: Grant): string {
  return grant.target === ''
    ? `${grant.role} @ ${grant.scope}`
    : `${grant.role} @ ${grant.scope}:${grant.target}`;
}

/**
 * Every function runs as a service account of this module, and no two functions share one. A
 * function without its own account would run as the Compute Engine default (Editor on the project).
 */
export function checkOneAccountPerFunction(module: TerraformModule): string[] {
  const problems: string[] = [];
  const declared = new Set(instancesOf(module, 'google_service_account').map(referenceOf));
  const owners = new Map<string, string[]>();
  for (const [entryPoint, account] of functionAccounts(module)) {
    if (account === undefined || !declared.has(account)) {
      problems.push(`${entryPoint}: does not run as a google_service_account of this module`);
      continue;
    }
    owners.set(account, [...(owners.get(account) ?? []), entryPoint]);
  }
  for (const [account, entryPoints] of owners) {
    if (entryPoints.length > 1) problems.push(`${account} is shared by ${entryPoints.sort().join(', ')}`);
  }
  if (functionAccounts(module).size === 0) problems.push('no google_cloudfunctions2_function in the module');
  return problems;
}

/** The account of one function, or a problem when the function or its account is missing. */
function accountOf(module: TerraformModule, entryPoint: string, problems: string[]): string | undefined {
  const accounts = functionAccounts(module);
  if (!accounts.has(entryPoint)) problems.push(`no function with entry point ${entryPoint}`);
  else if (accounts.get(entryPoint) === undefined)
    problems.push(`${entryPoint}: runs as no service account of this module`);
  return accounts.get(entryPoint);
}

const SECRET_ROLE = /^roles\/(secretmanager\.|owner$)/;

/**
 * Only the `readers` may read a Secret Manager secret: each reader holds secretAccessor on every
 * secret it mounts; every other function holds no grant on any secret, no project-wide Secret
 * Manager role, and mounts no secret.
 */
export function checkSecretReaders(module: TerraformModule, readers: readonly string[]): string[] {
  const problems: string[] = [];
  for (const { instance, entryPoint } of deployedFunctions(module)) {
    const account = accountOf(module, entryPoint, problems);
    const grants = account === undefined ? [] : grantsTo(module, account);
    const service = firstBody(instance.body.service_config);
    const mounted = [service.secret_environment_variables, service.secret_volumes]
      .flatMap((blocks) => (Array.isArray(blocks) ? blocks : []))
      .map((block) => String((block as Record<string, unknown>).secret ?? ''));
    if (readers.includes(entryPoint)) {
      for (const secret of mounted) {
        const reads = grants.some(
          (g) =>
            g.scope === 'secret_manager_secret' &&
            g.role === 'roles/secretmanager.secretAccessor' &&
            sameResource(g.target, secret),
        );
        if (!reads) problems.push(`${entryPoint}: mounts ${secret} but its account cannot read it`);
      }
      if (mounted.length === 0) problems.push(`${entryPoint}: mounts no secret`);
      continue;
    }
    if (mounted.length > 0) problems.push(`${entryPoint}: mounts a secret (${mounted.join(', ')})`);
    for (const grant of grants) {
      if (
        grant.scope === 'secret_manager_secret' ||
        (WIDE_SCOPES.has(grant.scope) && SECRET_ROLE.test(grant.role))
      )
        problems.push(`${entryPoint}: may read secrets through ${grant.where} (${describeGrant(grant)})`);
    }
  }
  const deployed = functionAccounts(module);
  for (const reader of readers.filter((r) => !deployed.has(r)))
    problems.push(`no function with entry point ${reader}`);
  return problems;
}

/** `${google_secret_manager_secret.webhook_keys.secret_id}` and `….id` name the same secret. */
function sameResource(a: string, b: string): boolean {
  const resource = (text: string) =>
    /google_[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\["[^"]*"\])?/.exec(text)?.[0] ?? text;
  return resource(a) === resource(b);
}

/** Roles that let an account read Batch jobs, and the subset that also lets it create them. */
const JOB_READ_ROLES = [
  'roles/batch.jobsViewer',
  'roles/batch.viewer',
  'roles/batch.jobsEditor',
  'roles/batch.admin',
];
const JOB_CREATE_ROLES = ['roles/batch.jobsEditor', 'roles/batch.admin', 'roles/owner', 'roles/editor'];

/** The function can read Batch jobs project-wide, and holds no role that can create one. */
export function checkReadsJobsOnly(module: TerraformModule, entryPoint: string): string[] {
  const problems: string[] = [];
  const account = accountOf(module, entryPoint, problems);
  if (account === undefined) return problems;
  const grants = grantsTo(module, account);
  if (!grants.some((g) => WIDE_SCOPES.has(g.scope) && JOB_READ_ROLES.includes(g.role)))
    problems.push(`${entryPoint}: cannot read Batch jobs (no ${JOB_READ_ROLES[0]} on the project)`);
  for (const grant of grants.filter((g) => JOB_CREATE_ROLES.includes(g.role)))
    problems.push(`${entryPoint}: can create Batch jobs through ${grant.where} (${grant.role})`);
  return problems;
}

const TOPIC_WIDE_ROLE = /^roles\/(pubsub\.|owner$|editor$)/;

/**
 * The function's account holds nothing on the topic (given as its resource address, e.g.
 * `google_pubsub_topic.notifications`): no grant on it, and no project-wide Pub/Sub or basic role
 * that would reach it.
 */
export function checkNoRightsOnTopic(module: TerraformModule, entryPoint: string, topic: string): string[] {
  const problems: string[] = [];
  if (!instancesOf(module, 'google_pubsub_topic').some((t) => referenceOf(t) === topic))
    problems.push(`${topic} is not declared`);
  const account = accountOf(module, entryPoint, problems);
  if (account === undefined) return problems;
  for (const grant of grantsTo(module, account)) {
    const onTopic = grant.scope === 'pubsub_topic' && grant.target.includes(`${topic}.`);
    const wide = WIDE_SCOPES.has(grant.scope) && TOPIC_WIDE_ROLE.test(grant.role);
    if (onTopic || wide)
      problems.push(`${entryPoint}: has ${grant.role} reaching ${topic} through ${grant.where}`);
  }
  return problems;
}
