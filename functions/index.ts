/**
 * The Cloud Functions entry points. Terraform deploys each by the name registered here. Imports
 * stay light: the Google clients load lazily, and `warmUp` starts them once the framework listens.
 */
import * as functionsFramework from '@google-cloud/functions-framework';
import { onImagePush } from './on-image-push.js';
import { onJobRequest } from './on-job-request.js';
import { onJobStateChanged } from './on-job-state-changed.js';
import { warmUp } from './runtime.js';
import { webhook } from './webhook.js';

functionsFramework.cloudEvent('onImagePush', onImagePush);
functionsFramework.cloudEvent('onJobRequest', onJobRequest);
functionsFramework.cloudEvent('onJobStateChanged', onJobStateChanged);
functionsFramework.http('webhook', webhook);

// After the current tick, so functions-framework is already listening when the clients load.
setTimeout(() => void warmUp(), 0).unref();
