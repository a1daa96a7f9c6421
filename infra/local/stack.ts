/**
 * The local stack behind `npm start`: the four stand-ins (in-process), the four Cloud Functions
 * (one functions-framework child process each), the Pub/Sub wiring Terraform makes in the cloud,
 * and the endpoints file the demo reads. Every part started is stopped again by `close()`, and a
 * failure halfway through startup stops what was already running before it rethrows.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWebhookSecrets } from '../../shared/adapters/config-loader.js';
import { createLogger } from '../../shared/adapters/logger.js';
import type { LifecycleTimings } from './batch/server.js';
import { startDashboard, type Dashboard } from './dashboard/server.js';
import { startFunctionProcess, type FunctionProcess } from './function-process.js';
import {
  assertPortsFree,
  DEFAULT_PORTS,
  FUNCTION_NAMES,
  isAddressInUse,
  PortBusyError,
  type FunctionName,
  type StackPorts,
} from './ports.js';
import {
  LOCAL_PROJECT,
  LOCAL_REGISTRY_HOST,
  LOCAL_TOPICS,
  randomWebhookSecret,
  removeEndpointsFile,
  stackEndpoints,
  stackPaths,
  writeEndpointsFile,
  writeSampleConfig,
  type StackEndpoints,
} from './stack-config.js';
import { wireStack } from './stack-wiring.js';
import { startStandIns, type StandInName, type StandIns } from './standins.js';

/** Repository root: this file lives in infra/local/ (or dist/infra/local/ when compiled). */
export function repositoryRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = join(here, '..', '..');
  return root.endsWith('/dist') ? join(root, '..') : root;
}

/** `npm start` timings: a few seconds per state, so the demo shows QUEUED → RUNNING → SUCCEEDED. */
export const INTERACTIVE_TIMINGS: LifecycleTimings = {
  queuedMs: 1_000,
  scheduledMs: 1_000,
  runningMs: 3_000,
};
/** Timings for tests: milliseconds. */
export const FAST_TIMINGS: LifecycleTimings = { queuedMs: 20, scheduledMs: 20, runningMs: 60 };

export interface StackOptions {
  /** Repository root holding functions/ (default: this checkout). */
  root?: string;
  /** Where the config, logs and endpoints file go (default `<root>/.streamgate`). */
  stateDir?: string;
  /** Default DEFAULT_PORTS; 0 anywhere picks a free port. */
  ports?: StackPorts;
  /** Webhook HMAC key; default a random one per run. */
  webhookSecret?: string;
  /** STREAMGATE_LOG_LEVEL of the functions (default INFO). */
  logLevel?: string;
  /** Batch job lifecycle (default INTERACTIVE_TIMINGS). */
  batchTimings?: LifecycleTimings;
  /** Write `<stateDir>/local-stack.json` (default true); an in-process demo stack does not. */
  writeEndpointsFile?: boolean;
  /** Push subscriptions deliver unwrapped (`noWrapper` with `writeMetadata`); default wrapped. */
  pushUnwrapped?: boolean;
  /** Told about each startup step, for a progress line. */
  onProgress?: (step: string) => void;
}

export interface RunningStack {
  endpoints: StackEndpoints;
  standIns: StandIns;
  functions: Record<FunctionName, FunctionProcess>;
  /** PIDs of the function processes (each leads its own process group). */
  childPids: number[];
  paths: ReturnType<typeof stackPaths>;
  /** Resolves with the first function process that exits while the stack runs. */
  childExited: Promise<{ name: FunctionName; code: number | string }>;
  /** Stops the functions, closes the stand-ins and removes the endpoints file. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the whole local stack and resolves once every function answers.
 * Throws PortBusyError (naming the port) when a fixed port is taken.
 *
 * @example
 *   const stack = await startStack({ ports: FREE_PORTS, batchTimings: FAST_TIMINGS });
 *   console.log(stack.endpoints.functions.webhook);
 *   await stack.close();
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const root = options.root ?? repositoryRoot();
  const paths = stackPaths(options.stateDir ?? join(root, '.streamgate'));
  const ports = options.ports ?? DEFAULT_PORTS;
  const progress = options.onProgress ?? (() => undefined);
  const webhookSecret = options.webhookSecret ?? randomWebhookSecret();
  // The functions would refuse a short key at their first request; refuse it before anything starts.
  loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: webhookSecret });
  const writeFile = options.writeEndpointsFile ?? true;

  await assertPortsFree(ports);
  await mkdir(paths.logs, { recursive: true });
  await writeSampleConfig(paths.config);
  const standInLog = createWriteStream(join(paths.logs, 'standins.log'), { flags: 'a' });
  const cleanups: Array<() => Promise<void>> = [() => closeStream(standInLog)];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: one failing step must not keep the rest running.
      }
    }
  };

  try {
    progress('starting stand-ins');
    const standIns = await startStandInsOrExplain(
      ports,
      options.batchTimings ?? INTERACTIVE_TIMINGS,
      standInLog,
    );
    cleanups.push(() => standIns.close());

    progress('starting functions');
    const env: Record<string, string> = {
      ...standIns.env,
      STREAMGATE_CONFIG: paths.config,
      STREAMGATE_WEBHOOK_SECRETS: webhookSecret,
      STREAMGATE_LOG_LEVEL: options.logLevel ?? 'INFO',
    };
    const started = await Promise.allSettled(
      FUNCTION_NAMES.map((name) =>
        startFunctionProcess({
          name,
          port: ports.functions[name],
          root,
          env,
          logFile: join(paths.logs, `${name}.log`),
        }),
      ),
    );
    for (const result of started) {
      if (result.status === 'fulfilled') cleanups.push(() => result.value.stop());
    }
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const functions = Object.fromEntries(
      started.map((result) => {
        const fn = (result as PromiseFulfilledResult<FunctionProcess>).value;
        return [fn.name, fn];
      }),
    ) as Record<FunctionName, FunctionProcess>;
    const functionUrls = Object.fromEntries(
      FUNCTION_NAMES.map((name) => [name, functions[name].url]),
    ) as Record<FunctionName, string>;

    progress('wiring Pub/Sub');
    await wireStack({
      pubsubAddress: standIns.pubsub.address,
      project: standIns.project,
      functionUrls,
      pushUnwrapped: options.pushUnwrapped ?? false,
    });

    progress('starting the page');
    const dashboard = await startDashboardOrExplain(ports.dashboard, standIns);
    cleanups.push(() => dashboard.close());

    const endpoints = stackEndpoints(standIns, functionUrls, webhookSecret, dashboard.url);
    if (writeFile) {
      await writeEndpointsFile(paths.endpoints, endpoints);
      cleanups.push(() => removeEndpointsFile(paths.endpoints));
    }

    let closing: Promise<void> | undefined;
    const childExited = Promise.race(
      FUNCTION_NAMES.map((name) => functions[name].exited.then((code) => ({ name, code }))),
    );
    return {
      endpoints,
      standIns,
      functions,
      childPids: FUNCTION_NAMES.map((name) => functions[name].pid),
      paths,
      childExited,
      close() {
        closing ??= runCleanups();
        return closing;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

async function startStandInsOrExplain(
  ports: StackPorts,
  timings: LifecycleTimings,
  log: WriteStream,
): Promise<StandIns> {
  const wanted: Record<StandInName, number> = {
    registry: ports.registry,
    batch: ports.batch,
    pubsub: ports.pubsub,
    artifactRegistry: ports.artifactRegistry,
  };
  // stdout belongs to the endpoints JSON (npm start) or the events (demo): the stand-ins log to
  // the stack's log file instead.
  try {
    return await startStandIns({
      project: LOCAL_PROJECT,
      registryHost: LOCAL_REGISTRY_HOST,
      ports: wanted,
      batch: { timings },
      logger: createLogger({ component: 'standins' }, (line) => log.write(line + '\n')),
    });
  } catch (error) {
    // The ports were free a moment ago; name the one someone took meanwhile, if we can tell.
    if (isAddressInUse(error)) {
      const text = String(error instanceof Error ? error.message : error);
      const busy = (Object.entries(wanted) as Array<[StandInName, number]>).find(
        ([, port]) => port !== 0 && text.includes(String(port)),
      );
      if (busy) throw new PortBusyError(busy[0], busy[1]);
    }
    throw error;
  }
}

/** The page, after everything it reads from is up; a port taken meanwhile is named. */
async function startDashboardOrExplain(port: number, standIns: StandIns): Promise<Dashboard> {
  try {
    return await startDashboard({
      port,
      pubsubAddress: standIns.pubsub.address,
      batchAddress: standIns.batch.address,
      project: standIns.project,
      topic: LOCAL_TOPICS.events,
    });
  } catch (error) {
    if (port !== 0 && isAddressInUse(error)) throw new PortBusyError('dashboard', port);
    throw error;
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}
