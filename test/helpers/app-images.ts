/**
 * The images the function tests launch: `apps/web:v1` (eligible) and `apps/dup:v1` (one layer
 * twice: DUPLICATE_LAYER), pushed into the stack's registry stand-in as a real client would.
 */
import { Pusher, buildImage, makeLayer } from './oci-images.js';
import { PROJECT, type Stack } from './stack-harness.js';

export interface AppImages {
  pusher: Pusher;
  /** Digest of `apps/web:v1`. */
  web: string;
  /** Digest of `apps/dup:v1`. */
  dup: string;
}

/** Pushes `apps/web:v1` and `apps/dup:v1`; resolves once their `gcr` notifications are out. */
export async function pushAppImages(stack: Stack): Promise<AppImages> {
  const pusher = new Pusher(stack.standIns.registry.url);
  const web = await pusher.pushImage(
    `${PROJECT}/apps/web`,
    buildImage([await makeLayer({ 'web.txt': 'web' })]),
    'v1',
  );
  const layer = await makeLayer({ 'dup.txt': 'dup' });
  const dup = await pusher.pushImage(`${PROJECT}/apps/dup`, buildImage([layer, layer]), 'v1');
  await stack.standIns.pushesSettled();
  return { pusher, web, dup };
}
