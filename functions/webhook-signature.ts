import type { Request } from '@google-cloud/functions-framework';
import {
  verifySignature,
  type SignatureCheck,
  type SignedRequest,
} from '../shared/core/webhook-signature.js';
import type { Runtime } from './runtime.js';

const SIGNATURE_HEADER = 'x-streamgate-signature';

/**
 * Verifies the request's v2 signature over `signed` (the method, the matched route's canonical
 * path and the raw body). The header value is never logged.
 *
 * @example
 *   const check = checkSignature(req, { method: 'POST', path: route.path, body: raw }, deps);
 *   if (!check.ok) return sendFinding(res, 401, check.reason, correlationId);
 */
export function checkSignature(req: Request, signed: SignedRequest, deps: Runtime): SignatureCheck {
  if (deps.webhookSecrets.length === 0) {
    deps.logger.error(
      'webhook has no keys configured (STREAMGATE_WEBHOOK_SECRETS is empty); refusing every request',
    );
    return {
      ok: false,
      reason: {
        code: 'SIGNATURE_INVALID',
        message:
          'The webhook has no signing keys configured, so no request can be verified; ask the operator to set them.',
      },
    };
  }
  const check = verifySignature({
    header: req.get(SIGNATURE_HEADER),
    request: signed,
    secrets: deps.webhookSecrets,
    nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    toleranceSeconds: deps.config.webhook.toleranceSeconds,
  });
  if (!check.ok) deps.logger.warn('webhook signature refused', { reason: check.reason.code });
  return check;
}
