import type { Finding } from '../shared/core/reason-codes.js';
import type { LaunchSource } from '../shared/core/request.js';
import { publishRejection } from '../shared/pipeline/launch.js';
import type { Invocation, PubsubHandlers } from './pubsub-invocation.js';
import { findingOf } from './retry-or-reject.js';

/**
 * The `invalid` and `permanent` handlers the Pub/Sub functions share: both publish a
 * `request.rejected` (category invalid) that names the reason.
 *
 * @example
 *   servePubsubPush('onImagePush', req, res, { ...publishingRejections('push'), message });
 */
export function publishingRejections(source: LaunchSource): Pick<PubsubHandlers, 'invalid' | 'permanent'> {
  const publish = async (reason: Finding, { deps, correlationId }: Invocation): Promise<void> => {
    await publishRejection(deps, { source, correlationId, category: 'invalid', reasons: [reason] });
  };
  return { invalid: publish, permanent: (error, invocation) => publish(findingOf(error), invocation) };
}
