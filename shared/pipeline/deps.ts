import type { StreamgateConfig } from '../core/config.js';
import type { RepairPorts } from './repair-launch.js';
import type {
  BatchJobs,
  Clock,
  EventSink,
  ImageResolver,
  Logger,
  RepositoryFactsSource,
} from '../core/ports.js';

/** Everything the pipeline talks to. Functions build it once per process; tests pass stand-ins. */
export interface PipelineDeps {
  config: StreamgateConfig;
  images: ImageResolver;
  repositoryFacts: RepositoryFactsSource;
  batch: BatchJobs;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  /**
   * When the function received the event this call serves (per invocation, like the logger's
   * correlation ids): launch latency is measured from it. Absent, from when `launch()` began.
   */
  receivedAt?: Date;
  /** Mode `repair`'s reads and writes; without them that mode runs as `auto` (REPAIR_NOT_PERMITTED). */
  repair?: RepairPorts;
}
