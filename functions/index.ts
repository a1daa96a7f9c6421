/**
 * The Cloud Functions entry points. Terraform deploys each by the name registered here.
 *
 * This module imports nothing but functions-framework and the small hook that puts the webhook
 * behind its body front (framework-hook.ts): each function's code (and zod, the schemas, the
 * adapters) is imported on its first call, or earlier by the warm-up that starts once the
 * framework listens. Measured (docs/performance.md): importing everything up front made time
 * to listening ~1.5x a hello-world function.
 */
import * as functionsFramework from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { installWebhookFront, passedFront } from './framework-hook.js';
import { loaders, scheduleWarmUp, servedFunction } from './warm-up.js';

functionsFramework.cloudEvent('onImagePush', async (event: CloudEvent<unknown>) =>
  (await loaders.onImagePush())(event),
);
functionsFramework.cloudEvent('onJobRequest', async (event: CloudEvent<unknown>) =>
  (await loaders.onJobRequest())(event),
);
functionsFramework.cloudEvent('onJobStateChanged', async (event: CloudEvent<unknown>) =>
  (await loaders.onJobStateChanged())(event),
);
functionsFramework.http('webhook', async (req, res) => {
  if (passedFront(req, res)) await (await loaders.webhook())(req, res);
});

// The framework builds its server after it has loaded this module, so this is early enough.
if (servedFunction() === 'webhook') installWebhookFront();

scheduleWarmUp();
