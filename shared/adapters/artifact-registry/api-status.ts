import '../../core/zod-locale.js';
import * as z from 'zod/mini';
import type { Clock } from '../../core/ports.js';
import type { Logger } from '../logger.js';
import type { ServiceUsageClient } from './clients.js';
import { grpcCode } from '../grpc-errors.js';
import { describeFailure } from './grpc-failures.js';
import { TtlCache } from './ttl-cache.js';

/** The API Image streaming needs in the job's project. */
const CONTAINER_FILESYSTEM_SERVICE = 'containerfilesystem.googleapis.com';

const ProjectSchema = z.string().check(z.regex(/^[a-z0-9][a-z0-9.:-]{0,99}$/));

const ServiceSchema = z.looseObject({
  state: z.optional(z.nullable(z.union([z.string(), z.number()]))),
});

/** ENABLED → true, DISABLED → false, anything else → 'unknown'. */
function toApiEnabled(service: unknown): boolean | 'unknown' {
  const parsed = ServiceSchema.safeParse(service);
  if (!parsed.success) return 'unknown';
  const state = parsed.data.state;
  if (state === 'ENABLED' || state === 2) return true;
  if (state === 'DISABLED' || state === 1) return false;
  return 'unknown';
}

export interface ApiStatusCheckerOptions {
  client: () => Promise<ServiceUsageClient>;
  ttlMs: number;
  clock: Clock;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Answers "is containerfilesystem.googleapis.com enabled in this project?". Any failure is
 * 'unknown' (the judge then warns instead of blocking). Definite answers are cached per project.
 */
export function createApiStatusChecker(
  options: ApiStatusCheckerOptions,
): (project: string) => Promise<boolean | 'unknown'> {
  const cache = new TtlCache<string, boolean | 'unknown'>(options.ttlMs, options.clock);
  let warned = false;

  const ask = async (project: string): Promise<boolean | 'unknown'> => {
    try {
      const client = await options.client();
      const [service] = await client.getService(
        { name: `projects/${project}/services/${CONTAINER_FILESYSTEM_SERVICE}` },
        { timeout: options.timeoutMs },
      );
      return toApiEnabled(service);
    } catch (error) {
      const fields = { project, grpcCode: grpcCode(error), error: describeFailure(error) };
      // Once is enough: without Service Usage access every launch would say the same.
      if (!warned) options.logger.warn('Service Usage API not answering; API status unknown', fields);
      else options.logger.debug('Service Usage API not answering', fields);
      warned = true;
      return 'unknown';
    }
  };

  return async (project) => {
    if (!ProjectSchema.safeParse(project).success) return 'unknown';
    return cache.get(
      project,
      () => ask(project),
      (answer) => answer !== 'unknown',
    );
  };
}
