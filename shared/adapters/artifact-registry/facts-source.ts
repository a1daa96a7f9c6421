import { createLogger, type Logger } from '../logger.js';
import { createApiStatusChecker } from './api-status.js';
import {
  lazyArtifactRegistryClient,
  lazyServiceUsageClient,
  type ArtifactRegistryClient,
  type GaxClientOptions,
} from './clients.js';
import { FactsFailures } from './facts-failures.js';
import type {
  RepositoryFacts,
  RepositoryFactsAnswer,
  RepositoryFactsNotConfigured,
} from '../../core/eligibility.js';
import { registryAuthority, type ImageReference } from '../../core/image-reference.js';
import type { Clock, RepositoryFactsSource } from '../../core/ports.js';
import { systemClock } from '../system-clock.js';
import { registryOverridesFromEnv, type RegistryOverrides } from '../registry/overrides.js';
import { artifactRegistryEndpointsFromEnv, type GrpcEndpoint } from './endpoints.js';
import { isNotFound } from './grpc-failures.js';
import {
  coordinatesOf,
  dockerImageName,
  imageMediaTypeOf,
  repositoryName,
  toRepositoryFacts,
} from './repository-facts.js';
import { TtlCache } from './ttl-cache.js';

export interface ArtifactRegistryFactsOptions {
  /** Plain-text stand-in endpoint (ARTIFACT_REGISTRY_API_ENDPOINT). Unset: Google's endpoint with ADC. */
  artifactRegistryEndpoint?: GrpcEndpoint;
  /** Plain-text stand-in endpoint (SERVICE_USAGE_API_ENDPOINT). Unset: Google's endpoint with ADC. */
  serviceUsageEndpoint?: GrpcEndpoint;
  /**
   * Registry hosts sent elsewhere by STREAMGATE_REGISTRY_OVERRIDES. Without an explicit Artifact
   * Registry endpoint they are not asked about: Google's API knows nothing of a local registry.
   */
  overrides?: RegistryOverrides;
  /** Extra options for clients on the default endpoints (tests aim them at a closed local port). */
  defaultClientOptions?: GaxClientOptions;
  /** Deadline of each RPC. Default 5 s: Pub/Sub redelivery is the retry loop, not us. */
  timeoutMs?: number;
  /** How long repository facts are reused. Default 60 s. */
  repositoryTtlMs?: number;
  /** How long an ENABLED/DISABLED answer is reused per project. Default 5 min. */
  apiStatusTtlMs?: number;
  /** After the default endpoint could not be asked, skip asking for this long. Default 30 s. */
  unavailableBackoffMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** A `RepositoryFactsSource` that can also release its gRPC channels (local stack, tests). */
export interface ArtifactRegistryFactsSource extends RepositoryFactsSource {
  /** Loads and constructs both clients without calling them (cold-start warm-up). */
  warmUp(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Repository facts from the Artifact Registry API and the Container File System API status from
 * the Service Usage API. Implements the pipeline's `RepositoryFactsSource`.
 *
 * @example
 *   const source = createArtifactRegistryFactsSource(artifactRegistryEndpointsFromEnv());
 *   const facts = await source.facts(parseImageReference(uri), digest); // RepositoryFacts | 'unavailable'
 */
export function createArtifactRegistryFactsSource(
  options: ArtifactRegistryFactsOptions = {},
): ArtifactRegistryFactsSource {
  const clock = options.clock ?? systemClock;
  const timeout = options.timeoutMs ?? 5_000;
  const logger = options.logger ?? createLogger({ component: 'artifact-registry' });
  const explicit = options.artifactRegistryEndpoint !== undefined;
  const arClient = lazyArtifactRegistryClient({
    ...(options.artifactRegistryEndpoint ? { endpoint: options.artifactRegistryEndpoint } : {}),
    ...(options.defaultClientOptions ? { defaultOptions: options.defaultClientOptions } : {}),
  });
  const suClient = lazyServiceUsageClient({
    ...(options.serviceUsageEndpoint ? { endpoint: options.serviceUsageEndpoint } : {}),
    ...(options.defaultClientOptions ? { defaultOptions: options.defaultClientOptions } : {}),
  });
  const repositories = new TtlCache<string, RepositoryFactsAnswer>(options.repositoryTtlMs ?? 60_000, clock);
  // Digest-addressed, so an image's media type never changes; AR may send several pushes per digest.
  const mediaTypes = new TtlCache<string, string | undefined>(options.repositoryTtlMs ?? 60_000, clock);
  const failures = new FactsFailures({
    explicit,
    backoffMs: options.unavailableBackoffMs ?? 30_000,
    clock,
    logger,
  });
  const readers: FactsReaders = { client: arClient, timeout, logger, failures };
  return {
    async facts(reference: ImageReference, digest: string): Promise<RepositoryFactsAnswer> {
      const at = coordinatesOf(reference);
      if (!at) return 'unavailable';
      const imageName = dockerImageName(at, digest);
      const authority = registryAuthority(reference).toLowerCase();
      if (!explicit && options.overrides?.has(authority)) return localRegistryNotConfigured(authority);
      const backingOff = failures.backingOff();
      if (backingOff !== undefined) return backingOff;
      const name = repositoryName(at);
      const repository = await repositories.get(name, () => loadRepository(readers, name), isFacts);
      if (!isFacts(repository) || repository.format !== 'DOCKER') return repository;
      const imageMediaType = await mediaTypes.get(
        imageName,
        () => loadMediaType(readers, imageName),
        (value) => value !== undefined,
      );
      return imageMediaType === undefined ? { ...repository } : { ...repository, imageMediaType };
    },
    apiEnabled: createApiStatusChecker({
      client: suClient,
      ttlMs: options.apiStatusTtlMs ?? 5 * 60_000,
      clock,
      timeoutMs: timeout,
      logger,
    }),
    // One after the other: module loading is synchronous work, and Service Usage is asked first.
    warmUp: async (): Promise<unknown> => [await suClient(), await arClient()],
    async close(): Promise<void> {
      await Promise.all([arClient.close(), suClient.close()]);
    },
  };
}

/**
 * The source the deployed functions and the local stack use: stand-in endpoints come from
 * ARTIFACT_REGISTRY_API_ENDPOINT / SERVICE_USAGE_API_ENDPOINT when set, Google's endpoints otherwise;
 * hosts in STREAMGATE_REGISTRY_OVERRIDES are only asked about through an explicit endpoint.
 */
export function artifactRegistryFactsSourceFromEnv(
  extra: Omit<
    ArtifactRegistryFactsOptions,
    'artifactRegistryEndpoint' | 'serviceUsageEndpoint' | 'overrides'
  > = {},
  env?: NodeJS.ProcessEnv,
): ArtifactRegistryFactsSource {
  return createArtifactRegistryFactsSource({
    ...extra,
    ...artifactRegistryEndpointsFromEnv(env),
    overrides: registryOverridesFromEnv(env),
  });
}

/** What the two reads are made with. */
interface FactsReaders {
  client: () => Promise<ArtifactRegistryClient>;
  timeout: number;
  logger: Logger;
  failures: FactsFailures;
}

async function loadRepository(readers: FactsReaders, name: string): Promise<RepositoryFactsAnswer> {
  try {
    const [repository] = await (await readers.client()).getRepository({ name }, { timeout: readers.timeout });
    return toRepositoryFacts(repository);
  } catch (error) {
    if (isNotFound(error)) {
      readers.logger.warn('Artifact Registry repository not found; judging without repository facts', {
        repository: name,
      });
      return 'unavailable';
    }
    return readers.failures.onFailure(error, `GetRepository ${name}`);
  }
}

async function loadMediaType(readers: FactsReaders, name: string): Promise<string | undefined> {
  try {
    const [image] = await (await readers.client()).getDockerImage({ name }, { timeout: readers.timeout });
    return imageMediaTypeOf(image);
  } catch (error) {
    if (isNotFound(error)) return undefined; // e.g. a push not yet indexed: the repository facts still hold
    readers.failures.onFailure(error, `GetDockerImage ${name}`);
    return undefined;
  }
}

function isFacts(answer: RepositoryFactsAnswer): answer is RepositoryFacts {
  return answer !== 'unavailable' && !('notConfigured' in answer);
}

/** A registry behind a local override, with no Artifact Registry endpoint to ask about it. */
function localRegistryNotConfigured(authority: string): RepositoryFactsNotConfigured {
  return {
    notConfigured: {
      why: `${authority} is a local registry (STREAMGATE_REGISTRY_OVERRIDES) and ARTIFACT_REGISTRY_API_ENDPOINT is not set`,
      remedy:
        'set ARTIFACT_REGISTRY_API_ENDPOINT to the Artifact Registry API that serves it (for the local stack, `streamgate check --stack` reads it from .streamgate/local-stack.json)',
    },
  };
}
