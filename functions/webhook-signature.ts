import type { Request } from '@google-cloud/functions-framework';
import type { Finding } from '../shared/core/reason-codes.js';
import { verifySignature } from '../shared/core/webhook-signature.js';
import type { Runtime } from './runtime.js';

const SIGNATURE_HEADER = 'x-streamgate-signature';

/** A 401 finding, or undefined when the signature is good. The header value is never logged. */
export function checkSignature(req: Request, raw: Buffer, deps: Runtime): Finding | undefined {
  if (deps.webhookSecrets.length === 0) {
    deps.logger.error(
      'webhook has no keys configured (STREAMGATE_WEBHOOK_SECRETS is empty); refusing every request',
    );
    return {
      code: 'SIGNATURE_INVALID',
      message:
        'The webhook has no signing keys configured, so no request can be verified; ask the operator to set them.',
    };
  }
  const check = verifySignature({
    header: req.get(SIGNATURE_HEADER),
    rawBody: raw,
    secrets: deps.webhookSecrets,
    nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    toleranceSeconds: deps.config.webhook.toleranceSeconds,
  });
  if (check.ok) return undefined;
  deps.logger.warn('webhook signature refused', { reason: check.reason.code });
  return check.reason;
}
