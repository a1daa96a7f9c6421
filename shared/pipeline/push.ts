import { z } from 'zod';
import { jobDefaultsFor, type Rule } from '../core/config.js';
import { judge } from '../core/eligibility.js';
import { isStreamgateError } from '../core/errors.js';
import {
  formatImageReference,
  parseImageReference,
  pinToDigest,
  type ImageReference,
} from '../core/image-reference.js';
import { pushIdempotencyKey } from '../core/ids.js';
import { parsePlatform } from '../core/platform.js';
import { repositoryOf } from '../core/policy.js';
import type { Finding } from '../core/reason-codes.js';
import { parseJobRequest, toLaunchRequest } from '../core/request.js';
import { isCosignTag, jobRequestFromRule, matchRules, rulesForPush } from '../core/rules.js';
import type { PipelineDeps } from './deps.js';
import { launch, reject } from './launch.js';
import type { LaunchOutcome, Rejected } from './outcomes.js';

/**
 * Artifact Registry's notification on the `gcr` topic (docs/platform-facts.md): `digest` and `tag` are
 * full references, and either may be missing.
 */
export const PushNoticeSchema = z.looseObject({
  action: z.string().max(32),
  digest: z.string().min(1).max(1024).optional(),
  tag: z.string().min(1).max(1024).optional(),
});
export type PushNotice = z.infer<typeof PushNoticeSchema>;

export type PushOutcome =
  | { status: 'ignored'; reason: string }
  | Rejected
  | { status: 'handled'; digest: string; launches: LaunchOutcome[] };

export interface PushMeta {
  /** Pub/Sub message id: the correlation id of everything this push starts. */
  messageId: string;
}

/** The image an INSERT names, and its tag when the push carried one. */
interface PushedImage {
  image: ImageReference;
  tag?: string;
}

/**
 * Handles one Artifact Registry notification: a tagged INSERT of an image that matches rules
 * launches one job per rule, deduplicated on rule + repository + digest (AR may send several
 * INSERTs per digest, tag-only or not; the same digest in two repositories is two jobs).
 *
 * Acknowledged and ignored, with no event (logged at INFO): DELETEs; unmatched images; INSERTs
 * without a tag, unless the rule sets `untagged` (the children of a multi-platform image arrive
 * that way, before their tagged index, whose job runs the matching child); cosign's `.sig`, `.att`
 * and `.sbom` tags; and what the registry shows is not an image (an artifact, a Helm chart).
 *
 * @example
 *   await handlePush({ action: 'INSERT', digest: 'us-central1-docker.pkg.dev/p/r/app@sha256:…', tag: '…:v1' }, { messageId }, deps);
 */
export async function handlePush(input: unknown, meta: PushMeta, deps: PipelineDeps): Promise<PushOutcome> {
  const log = deps.logger.child({ correlationId: meta.messageId, source: 'push' });
  const parsed = PushNoticeSchema.safeParse(input);
  if (!parsed.success) {
    return refuse(deps, meta, {
      code: 'INVALID_REQUEST',
      message: 'The gcr message is not an Artifact Registry notification ({"action","digest"?,"tag"?}).',
    });
  }
  const notice = parsed.data;
  if (notice.action === 'DELETE') {
    log.info('image deleted; nothing to launch', { tag: notice.tag, digest: notice.digest });
    return { status: 'ignored', reason: 'DELETE notifications launch nothing.' };
  }
  if (notice.action !== 'INSERT') {
    return refuse(deps, meta, {
      code: 'INVALID_REQUEST',
      message: `Unknown gcr action "${notice.action.slice(0, 32)}"; expected INSERT or DELETE.`,
    });
  }
  const pushed = pushedImageOf(notice);
  if ('code' in pushed) return refuse(deps, meta, pushed);
  const { image, tag } = pushed;
  const ignore = (reason: string): PushOutcome => {
    log.info('push ignored', { reason, digest: notice.digest, tag: notice.tag });
    return { status: 'ignored', reason };
  };

  if (tag !== undefined && isCosignTag(tag)) {
    return ignore(`The tag ${tag} is a cosign signature, attestation or SBOM, not an image to run.`);
  }
  const rules = rulesForPush(image, { tagged: tag !== undefined }, deps.config.rules);
  if (rules.length === 0) {
    const matched = tag === undefined && matchRules(image, deps.config.rules).length > 0;
    return ignore(
      matched
        ? 'The push carries no tag, and no matching rule sets "untagged": true.'
        : 'No rule matches the image.',
    );
  }

  const read = await readPushed(image, deps);
  let digest: string;
  if (read.kind === 'image') digest = read.digest;
  else if (read.kind === 'not-an-image') return ignore(read.finding.message);
  // Unreadable with a digest: launch answers as for any request (a repeat from Batch, or a
  // rejection naming each rule). Without one there is nothing to launch.
  else if (image.digest) digest = image.digest;
  else return refuse(deps, meta, read.finding);
  return { status: 'handled', digest, launches: await launchRules(rules, image, digest, meta, deps) };
}

/** The pushed image and tag an INSERT names (`digest`, else `tag`; a tag is kept from `tag`). */
function pushedImageOf(notice: PushNotice): PushedImage | Finding {
  const text = notice.digest ?? notice.tag;
  if (!text)
    return { code: 'INVALID_REQUEST', message: 'The INSERT notification names no digest and no tag.' };
  try {
    const image = parseImageReference(text);
    if (notice.digest && !image.digest) throw new Error('no digest');
    const tag = notice.tag === undefined ? undefined : parseImageReference(notice.tag).tag;
    return tag === undefined ? { image } : { image, tag };
  } catch (error) {
    const message = isStreamgateError(error)
      ? error.message
      : `"${text.slice(0, 200)}" is not a digest reference.`;
    return { code: 'INVALID_IMAGE_REFERENCE', message };
  }
}

/** One launch per rule, for the image pinned to `digest`. */
async function launchRules(
  rules: readonly Rule[],
  image: ImageReference,
  digest: string,
  meta: PushMeta,
  deps: PipelineDeps,
): Promise<LaunchOutcome[]> {
  const imageUri = formatImageReference(pinToDigest(image, digest));
  const launches: LaunchOutcome[] = [];
  for (const rule of rules) {
    const idempotencyKey = pushIdempotencyKey(rule.name, repositoryOf(image), digest);
    let request;
    try {
      request = toLaunchRequest(parseJobRequest(jobRequestFromRule(rule, imageUri)), {
        source: 'push',
        idempotencyKey,
        correlationId: meta.messageId,
        defaults: jobDefaultsFor(deps.config),
        rule: rule.name,
      });
    } catch (error) {
      if (!isStreamgateError(error) || error.transient) throw error;
      launches.push(
        await reject(deps, {
          source: 'push',
          correlationId: meta.messageId,
          idempotencyKey,
          category: 'invalid',
          reasons: [{ code: error.code, message: error.message }],
          rule: rule.name,
        }),
      );
      continue;
    }
    launches.push(await launch(request, deps));
  }
  return launches;
}

type PushedRead =
  | { kind: 'image'; digest: string }
  | { kind: 'not-an-image'; finding: Finding }
  | { kind: 'unreadable'; finding: Finding };

/**
 * Reads the pushed image (tag → digest, and the manifests judged) to tell images from artifacts
 * before any rule launches. Permanent registry answers come back as a finding; transient ones throw.
 * The same reads serve the launch that follows (the registry client caches content by digest).
 */
async function readPushed(image: ImageReference, deps: PipelineDeps): Promise<PushedRead> {
  const platform = parsePlatform(deps.config.platform);
  let resolved;
  try {
    resolved = await deps.images.resolve(image, platform);
  } catch (error) {
    if (!isStreamgateError(error) || error.transient) throw error;
    return { kind: 'unreadable', finding: { code: error.code, message: error.message } };
  }
  const report = judge({
    manifest: resolved.manifest,
    digest: resolved.digest,
    manifests: resolved.manifests,
    config: resolved.config,
    platform,
  });
  const notAnImage = report.reasons.find((reason) => reason.code === 'NOT_AN_IMAGE');
  return notAnImage
    ? { kind: 'not-an-image', finding: notAnImage }
    : { kind: 'image', digest: resolved.digest };
}

function refuse(deps: PipelineDeps, meta: PushMeta, reason: Finding): Promise<Rejected> {
  return reject(deps, {
    source: 'push',
    correlationId: meta.messageId,
    idempotencyKey: `push-message:${meta.messageId}`,
    category: 'invalid',
    reasons: [reason],
  });
}
