import { afterAll, beforeAll, describe } from 'vitest';
import { startPubSubStandIn, type PubSubStandIn } from '../../../infra/local/pubsub/server.js';
import { unwrappedPushSuite } from './unwrapped-push-suite.js';

describe('unwrapped push to the event functions', () => {
  let standIn: PubSubStandIn;
  beforeAll(async () => {
    standIn = await startPubSubStandIn({
      push: { minBackoffMs: 50, maxBackoffMs: 500, concurrency: 4, timeoutMs: 20_000 },
    });
  });
  afterAll(async () => {
    await standIn?.close();
  });
  unwrappedPushSuite('pushed by the Pub/Sub stand-in', () => standIn.address);
});
