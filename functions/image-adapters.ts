/**
 * The adapters that read (and, in mode repair, write) images: the registry client and what is
 * built on it, and the Artifact Registry / Service Usage facts. runtime.ts imports this module on
 * the first call that needs one of them, so a function that never reads an image
 * (onJobStateChanged) does not load them at cold start.
 */
import { artifactRegistryFactsSourceFromEnv } from '../shared/adapters/artifact-registry/facts-source.js';
import { lazyPort } from '../shared/adapters/lazy-port.js';
import type { Logger } from '../shared/adapters/logger.js';
import { memoizePromise } from '../shared/adapters/memoize.js';
import { RegistryClient } from '../shared/adapters/registry/client.js';
import { RegistryImageResolver } from '../shared/adapters/registry/image-resolver.js';
import { registryOverridesFromEnv } from '../shared/adapters/registry/overrides.js';
import { RegistryClientWriter } from '../shared/adapters/registry/writer.js';
import type { LayerInspector } from '../shared/core/ports.js';

/** A layer read must end well inside the function's own timeout (120 s by default); one that
 * does not is not repaired, and the launch goes on as mode auto. */
const LAYER_READ_TIMEOUT_MS = 60_000;

/**
 * Builds the image adapters over one registry client (and its token cache).
 *
 * @example const { images } = buildImageAdapters(logger); await images.resolve(reference, platform);
 */
export function buildImageAdapters(logger: Logger) {
  const registry = new RegistryClient({ overrides: registryOverridesFromEnv(), logger });
  // Mode "repair" reads layers and writes through the same client (and its token cache).
  const repairStore = new RegistryClientWriter(registry);
  return {
    images: new RegistryImageResolver(registry, { logger }),
    repair: {
      content: repairStore,
      writer: repairStore,
      layers: lazyLayerInspector(registry, LAYER_READ_TIMEOUT_MS),
    },
    repositoryFacts: artifactRegistryFactsSourceFromEnv({ logger }),
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
  return lazyPort(inspector, ['inspect']);
}
