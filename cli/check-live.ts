import type { Platform } from '../shared/core/platform.js';
import { EXIT, type CliIo } from './io.js';

/** What `streamgate check IMAGE_REF` passes to the live check. */
export interface LiveCheckArgs {
  /** The image reference as typed. */
  imageRef: string;
  platform: Platform;
  region?: string;
  json: boolean;
  io: CliIo;
}

/**
 * Placeholder: the registry work adds the live path (resolve the image from its registry, then
 * judge it). Until then it says so and exits 2.
 */
export async function checkLive(args: LiveCheckArgs): Promise<number> {
  args.io.err('streamgate check: live check not available yet; use --manifest FILE.');
  return EXIT.usage;
}
