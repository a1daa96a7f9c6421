import type { Logger } from '../adapters/logger.js';
import type { StreamgateConfig } from '../core/config.js';
import type { BatchJobs, Clock, EventSink } from './launch-ports.js';
import type { ImageResolver, RepositoryFactsSource } from './ports.js';

/** Everything the pipeline talks to. Functions build it once per process; tests pass stand-ins. */
export interface PipelineDeps {
  config: StreamgateConfig;
  images: ImageResolver;
  repositoryFacts: RepositoryFactsSource;
  batch: BatchJobs;
  events: EventSink;
  clock: Clock;
  logger: Logger;
}
