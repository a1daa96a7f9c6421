import type { StreamgateError } from '../shared/core/errors.js';
import type { Finding, ReasonCode } from '../shared/core/reason-codes.js';
import { RETRY_AFTER_SECONDS } from './retry-or-reject.js';

/** Who failed, by the code an adapter gives its failures. */
const SERVICES: Partial<Record<ReasonCode, string>> = {
  BATCH_UNAVAILABLE: 'Cloud Batch',
  BATCH_PERMISSION_DENIED: 'Cloud Batch',
  BATCH_INVALID_ARGUMENT: 'Cloud Batch',
  ARTIFACT_REGISTRY_UNAVAILABLE: 'The Artifact Registry API',
  MANIFEST_UNAVAILABLE: 'The image registry',
  PUBLISH_FAILED: 'Pub/Sub',
};

/**
 * What a webhook client may learn of an upstream failure: its reason code and a fixed sentence.
 * The adapter's message (gRPC details, resource names, URLs) stays in the logs, where the
 * correlation id finds it.
 *
 * @example
 *   publicFinding(batchUnavailable) // { code: 'BATCH_UNAVAILABLE', message: 'Cloud Batch is unavailable for now; retry in 5 s.' }
 */
export function publicFinding(error: StreamgateError): Finding {
  const service = SERVICES[error.code] ?? 'A service streamgate depends on';
  return {
    code: error.code,
    message: error.transient
      ? `${service} is unavailable for now; retry in ${RETRY_AFTER_SECONDS} s.`
      : `${service} refused the call; the operator finds the details in the logs under this correlation id.`,
  };
}
