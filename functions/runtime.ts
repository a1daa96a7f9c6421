/**
 * The functions' dependencies, built once per process from env and config. Importing this module
 * is cheap: the Google clients load on first use (or when `warmUp()` starts them early).
 */
import { createBatchJobs } from '../shared/adapters/batch-jobs.js';
import { loadConfig, loadWebhookSecrets, resetConfigCache } from '../shared/adapters/config-loader.js';
import { readEnv } from '../shared/adapters/env.js';
import { createEventPublisher } from '../shared/adapters/event-publisher.js';
import { createLogger, type Logger } from '../shared/adapters/logger.js';
import { lazyPort } from '../shared/adapters/lazy-port.js';
import { memoizePromise, type Memoized } from '../shared/adapters/memoize.js';
import { isStreamgateError } from '../shared/core/errors.js';
import type { PipelineDeps } from '../shared/pipeline/deps.js';
import type { buildImageAdapters } from './image-adapters.js';
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
  const image = lazyImageAdapters(logger);
  const repositoryFacts = image.repositoryFacts;
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
    images: image.images,
    repositoryFacts,
    batch,
    events,
    clock: systemClock,
    logger,
    repair: image.repair,
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

type ImageAdapters = ReturnType<typeof buildImageAdapters>;

/**
 * The image adapters (registry, Artifact Registry, Service Usage; image-adapters.ts) as ports whose
 * module is imported on their first call: onJobStateChanged never reads an image, so its cold start
 * does not load them, and a launcher loads them with its first event (or the warm-up).
 */
function lazyImageAdapters(logger: Logger) {
  const built: Memoized<ImageAdapters> = memoizePromise(async () =>
    (await import('./image-adapters.js')).buildImageAdapters(logger),
  );
  const facts = async (): Promise<ImageAdapters['repositoryFacts']> => (await built()).repositoryFacts;
  const repair = async (): Promise<ImageAdapters['repair']> => (await built()).repair;
  return {
    images: lazyPort(async () => (await built()).images, ['resolve']),
    repositoryFacts: {
      ...lazyPort(facts, ['facts', 'apiEnabled', 'warmUp']),
      // Closes what was built; builds nothing to close it.
      close: async () => (await built.peek()?.catch(() => undefined))?.repositoryFacts.close(),
    },
    repair: {
      content: lazyPort(async () => (await repair()).content, ['manifest', 'config']),
      writer: lazyPort(async () => (await repair()).writer, ['putBlob', 'putManifest', 'hasManifest']),
      layers: lazyPort(async () => (await repair()).layers, ['inspect']),
    },
  };
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
