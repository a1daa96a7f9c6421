/**
 * The real adapters the live CLI commands use (`check IMAGE_REF`, `plan`): the registry resolver
 * and the Artifact Registry facts source, both bounded in time so that the CLI answers quickly
 * even when no Google endpoint can be reached.
 */
import {
  artifactRegistryFactsSourceFromEnv,
  type ArtifactRegistryFactsSource,
} from '../shared/adapters/artifact-registry/facts-source.js';
import { readEnv } from '../shared/adapters/env.js';
import { createLogger, type Logger, type Severity } from '../shared/adapters/logger.js';
import { memoizePromise } from '../shared/adapters/memoize.js';
import type { AccessTokenSource } from '../shared/adapters/registry/auth.js';
import { RegistryClient } from '../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../shared/adapters/registry/image-resolver.js';
import { registryOverridesFromEnv, type RegistryOverrides } from '../shared/adapters/registry/overrides.js';
import type { ImageResolver, RepositoryFactsSource } from '../shared/core/ports.js';
import type { CliIo } from './io.js';

/** Per-request registry timeout of the CLI unless `--timeout` says otherwise. */
const DEFAULT_REGISTRY_TIMEOUT_MS = 10_000;
/** The longest the CLI waits for repository facts before judging without them. */
const FACTS_DEADLINE_MS = 2_000;
/** The longest loading the clients of explicit (stand-in) endpoints may take, outside that deadline. */
const LOCAL_LOAD_BOUND_MS = 30_000;
/** Registry attempts per request: fewer than the functions, whose caller (Pub/Sub) retries anyway. */
const CLI_REGISTRY_ATTEMPTS = 3;

/** What the live adapters can be given instead of their defaults (tests, embedding). */
export interface LiveAdapterOptions {
  /** Per-request registry timeout. Default 10 s. */
  timeoutMs?: number;
  /** Google access token for the registry token exchange. Default: Application Default Credentials. */
  accessToken?: AccessTokenSource;
  /** Default: STREAMGATE_REGISTRY_OVERRIDES. */
  overrides?: RegistryOverrides;
  /** Environment for the overrides and the facts endpoints. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface LiveAdapters {
  images: ImageResolver;
  /** The registry client behind `images` (for `fix`, which also writes). */
  client: RegistryClient;
  /** Never throws and never takes longer than its deadline: the worst answer is 'unavailable'. */
  repositoryFacts: RepositoryFactsSource;
  logger: Logger;
  /** Releases the gRPC channels so the process can exit at once. */
  close(): Promise<void>;
}

/**
 * Builds the resolver and the facts source from the environment.
 *
 * @example
 *   const live = createLiveAdapters(io, { timeoutMs: 5000 });
 *   try { await live.images.resolve(ref, DEFAULT_PLATFORM) } finally { await live.close() }
 */
export function createLiveAdapters(io: CliIo, options: LiveAdapterOptions = {}): LiveAdapters {
  const logger = cliLogger(io, options.env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  const client = new RegistryClient({
    overrides: options.overrides ?? registryOverridesFromEnv(options.env),
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    timeoutMs,
    retry: { attempts: CLI_REGISTRY_ATTEMPTS },
    logger,
  });
  const deadline = Math.min(timeoutMs, FACTS_DEADLINE_MS);
  let facts: ArtifactRegistryFactsSource | undefined;
  // Created on first use: a check that never reaches the facts step never loads the gRPC clients.
  const source = () =>
    (facts ??= artifactRegistryFactsSourceFromEnv(
      { timeoutMs: deadline, logger: logger.child({ component: 'artifact-registry' }) },
      options.env,
    ));
  // With both endpoints explicit (stand-ins), loading the clients is local work that involves no
  // credential lookup, so the deadline starts after it: a cold process on a busy machine can spend
  // seconds there. Towards Google, credential discovery happens in it and stays under the deadline.
  const explicit = (['ARTIFACT_REGISTRY_API_ENDPOINT', 'SERVICE_USAGE_API_ENDPOINT'] as const).every(
    (name) => readEnv(name, options.env) !== undefined,
  );
  const localClientsLoaded = memoizePromise(async () => {
    if (explicit) await withDeadline(() => source().warmUp(), LOCAL_LOAD_BOUND_MS, undefined, logger);
  });
  return {
    images: new RegistryImageResolver(client, { logger }),
    client,
    repositoryFacts: {
      facts: async (reference, digest) => {
        await localClientsLoaded();
        return withDeadline(() => source().facts(reference, digest), deadline, 'unavailable', logger);
      },
      apiEnabled: async (project) => {
        await localClientsLoaded();
        return withDeadline(() => source().apiEnabled(project), deadline, 'unknown', logger);
      },
    },
    logger,
    close: async () => {
      await facts?.close();
    },
  };
}

/**
 * Runs `work`, but settles with `fallback` after `ms` or when `work` fails: the facts only add
 * warnings, so the CLI judges without them rather than waiting or failing.
 */
async function withDeadline<T, F>(
  work: () => Promise<T>,
  ms: number,
  fallback: F,
  logger: Logger,
): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => {
      logger.debug('repository facts took too long; judging without them', { deadlineMs: ms });
      resolve(fallback);
    }, ms);
  });
  const attempt = Promise.resolve()
    .then(work)
    .catch((error: unknown) => {
      logger.debug('repository facts failed; judging without them', { error });
      return fallback;
    });
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}

const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4, CRITICAL: 5 };

/**
 * Logs go to stderr, so that `--json` leaves exactly one object on stdout. Only errors are shown
 * unless STREAMGATE_LOG_LEVEL asks for more: the report already carries every warning that matters.
 */
function cliLogger(io: CliIo, env?: NodeJS.ProcessEnv): Logger {
  const asked = readEnv('STREAMGATE_LOG_LEVEL', env)?.toUpperCase();
  const floor = asked !== undefined && asked in RANK ? RANK[asked as Severity] : RANK.ERROR;
  return createLogger({ component: 'cli' }, (line, severity) => {
    if (RANK[severity] >= floor) io.err(line);
  });
}
