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
import { installWebhookFront, passedFront } from './framework-hook.js';
import { loaders, scheduleWarmUp, servedFunction } from './warm-up.js';

/**
 * Registers a Pub/Sub-pushed event function. These are HTTP functions that read the push
 * themselves (pubsub-invocation.ts), CloudEvents included: a functions-framework `cloudEvent`
 * function never sees the request headers, where an unwrapped push (`noWrapper`) carries its
 * metadata and attributes, and the framework answers 500 to a body without Content-Type or a
 * text body before any handler runs.
 */
function pubsubPush(name: 'onImagePush' | 'onJobRequest' | 'onJobStateChanged'): void {
  functionsFramework.http(name, async (req, res) => (await loaders[name]())(req, res));
}

pubsubPush('onImagePush');
pubsubPush('onJobRequest');
pubsubPush('onJobStateChanged');
functionsFramework.http('webhook', async (req, res) => {
  if (passedFront(req, res)) await (await loaders.webhook())(req, res);
});

// The framework builds its server after it has loaded this module, so this is early enough.
if (servedFunction() === 'webhook') installWebhookFront();

scheduleWarmUp();
