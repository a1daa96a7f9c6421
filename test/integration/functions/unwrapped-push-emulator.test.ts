import { afterAll, beforeAll, describe } from 'vitest';
import {
  findPubSubEmulator,
  startPubSubEmulator,
  type RunningEmulator,
} from '../../helpers/pubsub-emulator.js';
import { unwrappedPushSuite } from './unwrapped-push-suite.js';

const emulator = findPubSubEmulator();
if (!emulator) {
  console.warn(
    [
      '',
      '======================================================================',
      ' Unwrapped push: Google emulator tier SKIPPED (not installed).',
      ' Install google-cloud-cli-pubsub-emulator (and Java) to run it.',
      '======================================================================',
      '',
    ].join('\n'),
  );
}

describe.skipIf(!emulator)(
  'unwrapped push to the event functions, pushed by Google’s emulator (SKIPPED when google-cloud-cli-pubsub-emulator is not installed)',
  () => {
    let running: RunningEmulator | undefined;
    beforeAll(async () => {
      if (emulator) running = await startPubSubEmulator(emulator, 60_000);
    }, 90_000);
    afterAll(async () => {
      await running?.close();
    }, 20_000);
    unwrappedPushSuite(`pushed by ${emulator?.description ?? 'the emulator'}`, () => running?.address ?? '');
  },
);
