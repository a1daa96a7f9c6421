/**
 * Least privilege per function, checked on the Terraform module as hcl2json parses it. Each checker
 * runs on the real module, then on a MUTATED copy (one grant added, moved or removed) and must
 * report the mutation, so a checker that stopped looking would fail here.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkNoRightsOnTopic,
  checkOneAccountPerFunction,
  checkReadsJobsOnly,
  checkSecretReaders,
  describeGrant,
  functionAccounts,
  grantsOf,
  grantsTo,
} from '../helpers/terraform-iam.js';
import {
  parseTerraformFiles,
  readTerraformFiles,
  type SourceFile,
  type TerraformModule,
} from '../helpers/terraform.js';

const TERRAFORM_DIR = join(import.meta.dirname, '..', '..', 'infra', 'terraform');
const NOTIFICATIONS = 'google_pubsub_topic.notifications';
const EVENT_FUNCTIONS = ['onImagePush', 'onJobRequest', 'onJobStateChanged'];

let files: SourceFile[];
let module: TerraformModule;

beforeAll(async () => {
  files = await readTerraformFiles(TERRAFORM_DIR);
  module = await parseTerraformFiles(files);
});

/** The real module plus one more file. */
const withFile = (text: string): Promise<TerraformModule> =>
  parseTerraformFiles([...files, { name: 'mutation.tf', text }]);

/** The real module with one text replaced in one file; throws when the text is not there exactly once. */
function replaced(file: string, from: string, to: string): Promise<TerraformModule> {
  return parseTerraformFiles(
    files.map((f) => {
      if (f.name !== file) return f;
      const parts = f.text.split(from);
      if (parts.length !== 2) throw new Error(`${file}: expected ${JSON.stringify(from)} exactly once`);
      return { ...f, text: parts.join(to) };
    }),
  );
}

/** What each function's account is granted, as `role @ scope[:target]`, sorted. */
function rolesOf(tf: TerraformModule, entryPoint: string): string[] {
  const account = functionAccounts(tf).get(entryPoint);
  if (account === undefined) throw new Error(`${entryPoint} has no account`);
  return grantsTo(tf, account).map(describeGrant).sort();
}

describe('one service account per function', () => {
  it('runs each of the four functions as its own account of this module', () => {
    expect(checkOneAccountPerFunction(module)).toEqual([]);
    const accounts = [...functionAccounts(module).values()];
    expect(accounts).toHaveLength(4);
    expect(new Set(accounts).size).toBe(4);
    for (const shared of ['job', 'invoker', 'build']) {
      expect(accounts).not.toContain(`google_service_account.${shared}`);
    }
  });

  it('flags two functions sharing an account', async () => {
    const shared = await replaced(
      'functions.tf',
      'google_service_account.function["webhook"].email',
      'google_service_account.function["image-push"].email',
    );
    expect(checkOneAccountPerFunction(shared)).toEqual([
      'google_service_account.function["image-push"] is shared by onImagePush, webhook',
    ]);
  });

  it('flags functions that run as an account the module does not declare', async () => {
    const foreign = await replaced(
      'functions.tf',
      'google_service_account.function[each.key].email',
      '"someone@example.iam.gserviceaccount.com"',
    );
    expect(checkOneAccountPerFunction(foreign).sort()).toEqual(
      EVENT_FUNCTIONS.map((f) => `${f}: does not run as a google_service_account of this module`),
    );
  });
});

describe('the webhook secret', () => {
  it('is read by the webhook and by no event function', () => {
    expect(checkSecretReaders(module, ['webhook'])).toEqual([]);
    expect(rolesOf(module, 'webhook')).toContain(
      'roles/secretmanager.secretAccessor @ secret_manager_secret:${google_secret_manager_secret.webhook_keys.secret_id}',
    );
  });

  it('flags a secret grant added to an event function', async () => {
    const leak = await withFile(`
resource "google_secret_manager_secret_iam_member" "leak" {
  secret_id = google_secret_manager_secret.webhook_keys.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function["job-state"].member
}
`);
    expect(checkSecretReaders(leak, ['webhook'])).toEqual([
      expect.stringMatching(
        /^onJobStateChanged: may read secrets through google_secret_manager_secret_iam_member\.leak/,
      ),
    ]);
  });

  it('flags a project-wide Secret Manager role given to an event function', async () => {
    const leak = await withFile(`
locals {
  leaky = ["image-push"]
}
resource "google_project_iam_member" "leak" {
  for_each = toset(local.leaky)
  project  = var.project_id
  role     = "roles/secretmanager.secretAccessor"
  member   = google_service_account.function[each.key].member
}
`);
    expect(checkSecretReaders(leak, ['webhook'])).toEqual([
      expect.stringMatching(
        /^onImagePush: may read secrets through google_project_iam_member\.leak\["image-push"\]/,
      ),
    ]);
  });

  it('flags the grant moved from the webhook to another function', async () => {
    const moved = await replaced(
      'iam.tf',
      'member    = google_service_account.function["webhook"].member',
      'member    = google_service_account.function["job-request"].member',
    );
    expect(checkSecretReaders(moved, ['webhook']).sort()).toEqual([
      expect.stringMatching(/^onJobRequest: may read secrets/),
      expect.stringMatching(/^webhook: mounts .*webhook_keys.* but its account cannot read it/),
    ]);
  });

  it('flags an event function that mounts the secret', async () => {
    const mounted = await replaced(
      'functions.tf',
      "    # Reachable from Pub/Sub's push servers",
      `    secret_environment_variables {
      key     = "STREAMGATE_WEBHOOK_SECRETS"
      secret  = google_secret_manager_secret.webhook_keys.secret_id
      version = "latest"
    }
    # Reachable from Pub/Sub's push servers`,
    );
    const problems = checkSecretReaders(mounted, ['webhook']);
    expect(problems.sort()).toEqual(
      EVENT_FUNCTIONS.map((f) => expect.stringMatching(`^${f}: mounts a secret`)),
    );
  });
});

describe('onJobStateChanged', () => {
  it('reads jobs but cannot create them', () => {
    expect(checkReadsJobsOnly(module, 'onJobStateChanged')).toEqual([]);
  });

  it('flags a job-creating role', async () => {
    const creates = await replaced(
      'iam.tf',
      'job_creating_functions = ["webhook", "image-push", "job-request"]',
      'job_creating_functions = ["webhook", "image-push", "job-request", "job-state"]',
    );
    expect(checkReadsJobsOnly(creates, 'onJobStateChanged')).toEqual([
      'onJobStateChanged: can create Batch jobs through google_project_iam_member.function_creates_jobs["job-state"] (roles/batch.jobsEditor)',
    ]);
  });

  it('flags a function that cannot read jobs', async () => {
    const blind = await replaced(
      'iam.tf',
      'job_reading_functions = ["job-state"]',
      'job_reading_functions = []',
    );
    expect(checkReadsJobsOnly(blind, 'onJobStateChanged')).toEqual([
      'onJobStateChanged: cannot read Batch jobs (no roles/batch.jobsViewer on the project)',
    ]);
  });
});

describe('the notifications topic', () => {
  it('grants the webhook nothing on it; only the Batch jobs (and the Batch agent) publish to it', () => {
    expect(checkNoRightsOnTopic(module, 'webhook', NOTIFICATIONS)).toEqual([]);
    const onTopic = grantsOf(module).filter((g) => g.target.includes(`${NOTIFICATIONS}.`));
    expect(onTopic.map((g) => [g.where, g.role, g.members.join(' ')]).sort()).toEqual([
      [
        'google_pubsub_topic_iam_member.batch_agent_publishes_notifications[0]',
        'roles/pubsub.publisher',
        '${local.batch_service_agent}',
      ],
      [
        'google_pubsub_topic_iam_member.job_publishes_notifications',
        'roles/pubsub.publisher',
        '${google_service_account.job.member}',
      ],
    ]);
  });

  it('flags a grant on the topic given to the webhook', async () => {
    const editor = await withFile(`
resource "google_pubsub_topic_iam_member" "hook_edits_notifications" {
  topic  = google_pubsub_topic.notifications.name
  role   = "roles/pubsub.editor"
  member = google_service_account.function["webhook"].member
}
`);
    expect(checkNoRightsOnTopic(editor, 'webhook', NOTIFICATIONS)).toEqual([
      'webhook: has roles/pubsub.editor reaching google_pubsub_topic.notifications through google_pubsub_topic_iam_member.hook_edits_notifications',
    ]);
  });

  it('flags a project-wide Pub/Sub role given to the webhook, but not its grant on the events topic', async () => {
    const wide = await withFile(`
resource "google_project_iam_member" "hook_pubsub" {
  project = var.project_id
  role    = "roles/pubsub.viewer"
  member  = google_service_account.function["webhook"].member
}
`);
    expect(checkNoRightsOnTopic(wide, 'webhook', NOTIFICATIONS)).toEqual([
      expect.stringMatching(
        /^webhook: has roles\/pubsub\.viewer .* through google_project_iam_member\.hook_pubsub$/,
      ),
    ]);
  });
});

describe('roles per function', () => {
  const project = (role: string) => `${role} @ project`;
  const creator = [
    project('roles/artifactregistry.reader'),
    project('roles/batch.jobsEditor'),
    'roles/iam.serviceAccountUser @ service_account:${google_service_account.job.name}',
    project('roles/logging.logWriter'),
    'roles/pubsub.publisher @ pubsub_topic:${google_pubsub_topic.events.name}',
    project('roles/serviceusage.serviceUsageViewer'),
  ];

  it('gives each function exactly the roles its code uses', () => {
    expect(rolesOf(module, 'webhook')).toEqual(
      [
        ...creator,
        'roles/secretmanager.secretAccessor @ secret_manager_secret:${google_secret_manager_secret.webhook_keys.secret_id}',
      ].sort(),
    );
    expect(rolesOf(module, 'onImagePush')).toEqual(creator);
    expect(rolesOf(module, 'onJobRequest')).toEqual(creator);
    expect(rolesOf(module, 'onJobStateChanged')).toEqual([
      project('roles/batch.jobsViewer'),
      project('roles/logging.logWriter'),
      'roles/pubsub.publisher @ pubsub_topic:${google_pubsub_topic.events.name}',
    ]);
  });
});

describe('repair writers: roles/artifactregistry.writer on var.repair_repositories only', () => {
  const WRITER = 'roles/artifactregistry.writer';
  const writers = (tf: TerraformModule) => grantsOf(tf).filter((grant) => grant.role === WRITER);
  const withRepositories = (tf: TerraformModule, repositories: object[]): TerraformModule => {
    const copy = structuredClone(tf);
    const variable = copy.variables.repair_repositories;
    if (!variable) throw new Error('no variable repair_repositories');
    variable.default = repositories as never;
    return copy;
  };

  it('grants no write access anywhere by default', () => {
    expect(module.variables.repair_repositories?.default).toEqual([]);
    expect(writers(module)).toEqual([]);
  });

  it('grants each launching function the writer role on exactly the listed repositories', () => {
    const tf = withRepositories(module, [
      { location: 'us-central1', repository_id: 'apps' },
      { location: 'europe-west4', repository_id: 'ml', project: 'other-project' },
    ]);
    const grants = writers(tf);
    expect(grants).toHaveLength(6);
    expect(grants.every((g) => g.scope === 'artifact_registry_repository')).toBe(true);
    for (const entryPoint of ['webhook', 'onImagePush', 'onJobRequest']) {
      expect(rolesOf(tf, entryPoint).filter((r) => r.startsWith(WRITER))).toEqual([
        `${WRITER} @ artifact_registry_repository:apps`,
        `${WRITER} @ artifact_registry_repository:ml`,
      ]);
    }
    expect(rolesOf(tf, 'onJobStateChanged').some((r) => r.startsWith(WRITER))).toBe(false);
  });

  it('flags a writer role granted project-wide, or to the function that only reads jobs', async () => {
    const wide = await withFile(`
resource "google_project_iam_member" "push_writes_everywhere" {
  project = var.project_id
  role    = "roles/artifactregistry.writer"
  member  = google_service_account.function["image-push"].member
}
`);
    expect(writers(wide).map((g) => g.scope)).toEqual(['project']);
    const moved = await replaced(
      'iam.tf',
      'for pair in setproduct(local.job_creating_functions, var.repair_repositories)',
      'for pair in setproduct(local.job_reading_functions, var.repair_repositories)',
    );
    const tf = withRepositories(moved, [{ location: 'us-central1', repository_id: 'apps' }]);
    expect(rolesOf(tf, 'onJobStateChanged')).toContain(`${WRITER} @ artifact_registry_repository:apps`);
  });
});
