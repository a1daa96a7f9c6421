/**
 * Lazy loading of the functions' code and the warm-up that starts it early. Kept free of static
 * imports beyond types, so `functions/index.ts` stays as cheap to import as a hello-world.
 */
import { readEnv } from '../shared/adapters/env.js';
import { memoizePromise } from '../shared/adapters/memoize.js';
import type { FunctionName } from './function-names.js';
import type { onImagePush } from './on-image-push.js';
import type { onJobRequest } from './on-job-request.js';
import type { onJobStateChanged } from './on-job-state-changed.js';
import type { WarmClient } from './runtime.js';
import type { webhook } from './webhook.js';

/** Each function's implementation, imported on first use and reused afterwards. */
export const loaders = {
  onImagePush: memoizePromise(
    async (): Promise<typeof onImagePush> => (await import('./on-image-push.js')).onImagePush,
  ),
  onJobRequest: memoizePromise(
    async (): Promise<typeof onJobRequest> => (await import('./on-job-request.js')).onJobRequest,
  ),
  onJobStateChanged: memoizePromise(
    async (): Promise<typeof onJobStateChanged> =>
      (await import('./on-job-state-changed.js')).onJobStateChanged,
  ),
  webhook: memoizePromise(async (): Promise<typeof webhook> => (await import('./webhook.js')).webhook),
} satisfies Record<FunctionName, () => Promise<unknown>>;

/**
 * The Google clients each function calls. onJobStateChanged never reads the registry or
 * Artifact Registry, so it must not pay for those clients.
 */
const CLIENTS_BY_FUNCTION: Record<FunctionName, readonly WarmClient[]> = {
  onImagePush: ['repositoryFacts', 'batch', 'events'],
  onJobRequest: ['repositoryFacts', 'batch', 'events'],
  webhook: ['repositoryFacts', 'batch', 'events'],
  onJobStateChanged: ['batch', 'events'],
};

/**
 * The function this process serves, read as functions-framework reads it: its `--target` flag
 * (`--target=NAME` or `--target NAME`) wins over `FUNCTION_TARGET` (set by Cloud Functions / Cloud
 * Run). Undefined in tests that serve all four.
 *
 * @example servedFunction({}, ['node', 'ff', '--target', 'webhook']) // 'webhook'
 */
export function servedFunction(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): FunctionName | undefined {
  const target = targetFlag(argv) ?? readEnv('FUNCTION_TARGET', env);
  return target !== undefined && target in loaders ? (target as FunctionName) : undefined;
}

/** The last `--target` flag, like minimist (which functions-framework uses) reads it. */
function targetFlag(argv: readonly string[]): string | undefined {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg.startsWith('--target=')) value = arg.slice('--target='.length);
    else if (arg === '--target' && argv[i + 1] !== undefined) value = argv[i + 1];
  });
  return value;
}

/**
 * Imports the served function's code, then starts its clients; never throws (failures resurface
 * on the first call). With no known target, warms all four functions and every client.
 */
async function warmUp(target: FunctionName | undefined = servedFunction()): Promise<void> {
  try {
    const names = target ? [target] : (Object.keys(loaders) as FunctionName[]);
    await Promise.all(names.map((name) => loaders[name]()));
    const runtime = await import('./runtime.js');
    const clients = new Set(names.flatMap((name) => CLIENTS_BY_FUNCTION[name]));
    await runtime.warmUp([...clients]);
  } catch {
    // Nothing to do here: the first invocation reports the failure properly.
  }
}

/**
 * Starts `warmUp` right after the current tick: functions-framework binds its port in the same
 * tick it loads us, so the warm-up runs once the server already listens.
 */
export function scheduleWarmUp(): void {
  setTimeout(() => void warmUp(), 0).unref();
}
