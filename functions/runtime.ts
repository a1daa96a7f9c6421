/**
 * The functions' dependencies, built once per process from env and config. Importing this module
 * is cheap: the Google clients load on first use (or when `warmUp()` starts them early).
 */
import { artifactRegistryFactsSourceFromEnv } from '../shared/adapters/artifact-registry/facts-source.js';
import { createBatchJobs } from '../shared/adapters/batch-jobs.js';
import { loadConfig, loadWebhookSecrets, resetConfigCache } from '../shared/adapters/config-loader.js';
import { readEnv } from '../shared/adapters/env.js';
import { createEventPublisher } from '../shared/adapters/event-publisher.js';
import { createLogger, type Logger } from '../shared/adapters/logger.js';
import { memoizePromise } from '../shared/adapters/memoize.js';
import { RegistryClient } from '../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../shared/adapters/registry/image-resolver.js';
import { RegistryClientWriter } from '../shared/adapters/registry/writer.js';
import { registryOverridesFromEnv } from '../shared/adapters/registry/overrides.js';
import { isStreamgateError } from '../shared/core/errors.js';
import type { LayerInspector } from '../shared/core/ports.js';
import type { PipelineDeps } from '../shared/pipeline/deps.js';
import { systemClock } from '../shared/adapters/system-clock.js';

/** What every function works with: the pipeline's dependencies plus the webhook keys. */
export type Runtime = PipelineDeps & {
  /** HMAC keys accepted by the webhook (several during a rotation). Never log them. */
  webhookSecrets: string[];
};

/** The clients `warmUp` can start: Batch, the events publisher, Artifact Registry + Service Usage. */
export type WarmClient = 'batch' | 'events' | 'repositoryFacts';

const ALL_CLIENTS: readonly WarmClient[] = ['repositoryFacts', 'batch', 'events'];

interface Built {
  runtime: Runtime;
  warmUp(clients: readonly WarmClient[]): Promise<void>;
  close(): Promise<void>;
}

/** The process-wide logger; functions add `correlationId` with `child()`. */
export const baseLogger: Logger = createLogger({ service: 'streamgate' });

const reportedConfigErrors = new Set<string>();

async function build(): Promise<Built> {
  const logger = baseLogger;
  const config = await loadConfig();
  const registry = new RegistryClient({ overrides: registryOverridesFromEnv(), logger });
  const images = new RegistryImageResolver(registry, { logger });
  // Mode "repair" reads layers and writes through the same client (and its token cache).
  const repairStore = new RegistryClientWriter(registry);
  // A layer read must end well inside the function's own timeout (120 s by default); one that does
  // not is not repaired, and the launch goes on as mode auto.
  const layers = lazyLayerInspector(registry, 60_000);
  const repair = { content: repairStore, writer: repairStore, layers };
  const repositoryFacts = artifactRegistryFactsSourceFromEnv({ logger });
  const batchEndpoint = readEnv('BATCH_API_ENDPOINT');
  const batch = createBatchJobs(batchEndpoint ? { endpoint: batchEndpoint } : {});
  const emulatorHost = readEnv('PUBSUB_EMULATOR_HOST');
  const events = createEventPublisher({
    projectId: config.project,
    topic: config.topics.events,
    ...(emulatorHost ? { emulatorHost } : {}),
  });
  const runtime: Runtime = {
    config,
    images,
    repositoryFacts,
    batch,
    events,
    clock: systemClock,
    logger,
    repair,
    webhookSecrets: loadWebhookSecrets(),
  };
  return {
    runtime,
    async warmUp(clients) {
      const start: Record<WarmClient, () => Promise<unknown>> = {
        batch: () => batch.warmUp(),
        events: () => events.warmUp(),
        repositoryFacts: () => repositoryFacts.warmUp(),
      };
      // Failures here resurface (and are handled) on the first real call.
      await Promise.all(clients.map((name) => start[name]().catch(() => undefined)));
    },
    async close() {
      await Promise.allSettled([batch.close(), events.close(), repositoryFacts.close()]);
    },
  };
}

/**
 * The layer inspector, whose module (with tar-stream and fzstd) is imported on the first layer
 * read: only mode repair reads layers, so no other cold start pays for loading it.
 */
function lazyLayerInspector(registry: RegistryClient, timeoutMs: number): LayerInspector {
  const inspector = memoizePromise(async () => {
    const { RegistryLayerInspector } = await import('../shared/adapters/layers/inspector.js');
    return new RegistryLayerInspector(registry, { timeoutMs });
  });
  return { inspect: async (image, layer) => (await inspector()).inspect(image, layer) };
}

/**
 * The memoized runtime. A bad config rejects with a permanent `CONFIG_INVALID` (logged CRITICAL
 * once, with every issue) and is not memoized, so a fixed config file is picked up on the next call.
 *
 * @example
 *   const runtime = await getRuntime();
 *   await launch(request, runtime);
 */
export async function getRuntime(): Promise<Runtime> {
  return (await built()).runtime;
}

/** The runtime being built or built; a failed build is forgotten, so a fixed config is read. */
const building = memoizePromise(build);

function built(): Promise<Built> {
  const current = building();
  current.catch(reportConfigError);
  return current;
}

function reportConfigError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (reportedConfigErrors.has(message)) return;
  reportedConfigErrors.add(message);
  baseLogger.critical('streamgate cannot start: the deployment is misconfigured', {
    error,
    ...(isStreamgateError(error) ? { code: error.code, issues: error.details.issues } : {}),
  });
}

/**
 * Loads and constructs the given Google clients (default: all of them), so the first invocation
 * does not pay for the import. Resolves once they are ready; safe to call more than once; never
 * throws.
 *
 * @example
 *   await warmUp(['batch', 'events']); // what onJobStateChanged uses
 */
export function warmUp(clients: readonly WarmClient[] = ALL_CLIENTS): Promise<void> {
  return built().then(
    (b) => b.warmUp(clients),
    () => undefined,
  );
}

/** Closes the clients and forgets the runtime and the config (tests change env between suites). */
export async function resetRuntimeForTests(): Promise<void> {
  const current = building.peek();
  building.forget();
  reportedConfigErrors.clear();
  resetConfigCache();
  if (!current) return;
  try {
    await (await current).close();
  } catch {
    // A runtime that never built has nothing to close.
  }
}
