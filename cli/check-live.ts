/**
 * `streamgate check IMAGE_REF`: read the image from its registry, gather the repository facts
 * (bounded), and judge it exactly as a launch would. Same report and exit statuses as `--manifest`;
 * an image that cannot be read exits 2 with the registry's answer on stderr.
 */
import { judgeRead, reportOutsideArtifactRegistry } from '../shared/core/eligibility.js';
import { isStreamgateError } from '../shared/core/errors.js';
import { parseImageReference, type ImageReference } from '../shared/core/image-reference.js';
import type { Platform } from '../shared/core/platform.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { createLiveAdapters, type LiveAdapterOptions } from './live-adapters.js';
import { describeReadFailure } from './read-failure.js';
import { printReport } from './report.js';

/** What `streamgate check IMAGE_REF` passes to the live check. */
export interface LiveCheckArgs {
  /** The image reference as typed. */
  imageRef: string;
  platform: Platform;
  region?: string;
  json: boolean;
  io: CliIo;
  /** Per-request registry timeout in ms (`--timeout`). Default 10 s. */
  timeoutMs?: number;
}

/** Replaceable defaults (tests): token source, overrides, environment. */
export type LiveCheckDeps = Omit<LiveAdapterOptions, 'timeoutMs'>;

/**
 * Resolves the image live and prints its eligibility report. Returns the exit status: 0 eligible,
 * 1 ineligible or needs-resolution, 2 when the reference is invalid or the image cannot be read.
 *
 * @example
 *   await checkLive({ imageRef: 'us-central1-docker.pkg.dev/p/r/app:1', platform: DEFAULT_PLATFORM, json: true, io })
 */
export async function checkLive(args: LiveCheckArgs, deps: LiveCheckDeps = {}): Promise<number> {
  const { io } = args;
  let image: ImageReference;
  try {
    image = parseImageReference(args.imageRef);
  } catch (error) {
    if (isStreamgateError(error)) throw new UsageError(error.message);
    throw error;
  }
  // Not Artifact Registry: Batch cannot stream it whatever it holds, so nothing is read (and no
  // Google credential can go to that registry).
  const outside = reportOutsideArtifactRegistry(image);
  if (outside) return printReport(outside, args.imageRef, args.json, io);

  const live = createLiveAdapters(io, {
    ...deps,
    ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
  });
  try {
    let resolved;
    try {
      resolved = await live.images.resolve(image, args.platform);
    } catch (error) {
      if (!isStreamgateError(error)) throw error;
      io.err(`streamgate: cannot read ${args.imageRef}: ${await describeReadFailure(error)}`);
      return EXIT.usage;
    }
    const repository = await live.repositoryFacts.facts(image, resolved.digest);
    const report = judgeRead(resolved, {
      platform: args.platform,
      image,
      ...(args.region === undefined ? {} : { requestedRegion: args.region }),
      repository,
    });
    const subject = image.digest === undefined ? `${args.imageRef} (${resolved.digest})` : args.imageRef;
    return printReport(report, subject, args.json, io);
  } finally {
    await live.close();
  }
}
