import '../core/zod-locale.js';
import * as z from 'zod/mini';
import type { Rule } from '../core/config.js';
import { judgeRead } from '../core/eligibility.js';
import { isRepairedManifest, REPAIRED_FROM_ANNOTATION } from '../core/repair/marker.js';
import { isStreamgateError } from '../core/errors.js';
import {
  formatImageReference,
  parseImageReference,
  pinToDigest,
  type ImageReference,
} from '../core/image-reference.js';
import { pushIdempotencyKey } from '../core/ids.js';
import { parsePlatform, type Platform } from '../core/platform.js';
import type { ResolvedImage } from '../core/ports.js';
import { repositoryOf } from '../core/policy.js';
import type { Finding } from '../core/reason-codes.js';
import { isCosignTag, jobRequestFromRule, matchRules, rulesForPush } from '../core/push-rules.js';
import { admit } from './admit.js';
import type { PipelineDeps } from './deps.js';
import { launch, publishRejection } from './launch.js';
import type { LaunchOutcome, Rejected } from './outcomes.js';
import type { KnownImage } from './plan.js';

/**
 * Artifact Registry's notification on the `gcr` topic (docs/platform-facts.md): `digest` and `tag` are
 * full references, and either may be missing.
 */
const PushNoticeSchema = z.looseObject({
  action: z.string().check(z.maxLength(32)),
  digest: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  tag: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});
type PushNotice = z.infer<typeof PushNoticeSchema>;

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
 * The pushed reference is parsed once and the image read once: the launches run on both.
 *
 * @example
 *   await handlePush({ action: 'INSERT', digest: 'us-central1-docker.pkg.dev/p/r/app@sha256:…', tag: '…:v1' }, { messageId }, deps);
 */
export async function handlePush(input: unknown, meta: PushMeta, deps: PipelineDeps): Promise<PushOutcome> {
  const log = deps.logger.child({ correlationId: meta.messageId, source: 'push' });
  const notice = readNotice(input);
  if ('code' in notice) return publishPushRefusal(deps, meta, notice);
  if (notice.kind === 'delete') {
    log.info('image deleted; nothing to launch', { tag: notice.tag, digest: notice.digest });
    return { status: 'ignored', reason: 'DELETE notifications launch nothing.' };
  }
  const ignore = (reason: string): PushOutcome => {
    log.info('push ignored', { reason, digest: notice.digest, tag: notice.tag });
    return { status: 'ignored', reason };
  };
  const { image } = notice.pushed;
  const rules = rulesFor(notice.pushed, deps.config.rules);
  if (typeof rules === 'string') return ignore(rules);

  const read = await readPushed(image, deps);
  if (read.kind === 'not-an-image') return ignore(read.finding.message);
  // A repair's own push (mode `repair`, `streamgate fix`) arrives here like any other: never again.
  if (read.kind === 'image' && isRepairedManifest(read.resolved.image.manifest.document)) {
    return ignore(`the image was written by a streamgate repair (${REPAIRED_FROM_ANNOTATION}).`);
  }
  const target = launchTarget(read, image);
  if ('code' in target) return publishPushRefusal(deps, meta, target);
  return {
    status: 'handled',
    digest: target.digest,
    launches: await launchRules(rules, image, target, meta, deps),
  };
}

type ReadNotice =
  | { kind: 'delete'; digest?: string; tag?: string }
  | { kind: 'insert'; digest?: string; tag?: string; pushed: PushedImage };

/** The notice as a DELETE, or an INSERT with the image it names; a finding when it is neither. */
function readNotice(input: unknown): ReadNotice | Finding {
  const parsed = PushNoticeSchema.safeParse(input);
  if (!parsed.success) {
    return {
      code: 'INVALID_REQUEST',
      message: 'The gcr message is not an Artifact Registry notification ({"action","digest"?,"tag"?}).',
    };
  }
  const notice = parsed.data;
  const names = {
    ...(notice.digest !== undefined ? { digest: notice.digest } : {}),
    ...(notice.tag !== undefined ? { tag: notice.tag } : {}),
  };
  if (notice.action === 'DELETE') return { kind: 'delete', ...names };
  if (notice.action !== 'INSERT') {
    return {
      code: 'INVALID_REQUEST',
      message: `Unknown gcr action "${notice.action.slice(0, 32)}"; expected INSERT or DELETE.`,
    };
  }
  const pushed = pushedImageOf(notice);
  return 'code' in pushed ? pushed : { kind: 'insert', ...names, pushed };
}

/** The rules that launch for this push, or why none does. */
function rulesFor({ image, tag }: PushedImage, rules: readonly Rule[]): Rule[] | string {
  if (tag !== undefined && isCosignTag(tag)) {
    return `The tag ${tag} is a cosign signature, attestation or SBOM, not an image to run.`;
  }
  const launching = rulesForPush(image, { tagged: tag !== undefined }, rules);
  if (launching.length > 0) return launching;
  const matched = tag === undefined && matchRules(image, rules).length > 0;
  return matched
    ? 'The push carries no tag, and no matching rule sets "untagged": true.'
    : 'No rule matches the image.';
}

/** The pushed image and tag an INSERT names (`digest`, else `tag`; a tag is kept from `tag`). */
function pushedImageOf(notice: PushNotice): PushedImage | Finding {
  const text = notice.digest ?? notice.tag;
  if (!text)
    return { code: 'INVALID_REQUEST', message: 'The INSERT notification names no digest and no tag.' };
  try {
    const image = parseImageReference(text);
    if (notice.digest && !image.digest) throw new Error('no digest');
    // A tag-only notice names its image by the tag: that reference is not parsed twice.
    const tag =
      notice.tag === undefined ? undefined : notice.digest ? parseImageReference(notice.tag).tag : image.tag;
    return tag === undefined ? { image } : { image, tag };
  } catch (error) {
    const message = isStreamgateError(error)
      ? error.message
      : `"${text.slice(0, 200)}" is not a digest reference.`;
    return { code: 'INVALID_IMAGE_REFERENCE', message };
  }
}

/** What the launches run: the digest, and the resolution when the image was read. */
interface LaunchTarget {
  digest: string;
  resolved?: { image: ResolvedImage; platform: Platform };
}

/**
 * The image read, or (unreadable, but pushed by digest) the digest alone: launch then answers as
 * for any request (a repeat from Batch, or a rejection naming each rule). Unreadable without a
 * digest, there is nothing to launch: the finding.
 */
function launchTarget(read: Exclude<PushedRead, { kind: 'not-an-image' }>, image: ImageReference) {
  if (read.kind === 'image') return { digest: read.digest, resolved: read.resolved } satisfies LaunchTarget;
  return image.digest ? ({ digest: image.digest } satisfies LaunchTarget) : read.finding;
}

/**
 * One launch per rule, for the image pinned to the target's digest. Each rule's request goes
 * through the same admission as any other; the pinned reference and the resolution go with it,
 * so the launch neither parses the reference nor reads the image again.
 */
async function launchRules(
  rules: readonly Rule[],
  image: ImageReference,
  target: LaunchTarget,
  meta: PushMeta,
  deps: PipelineDeps,
): Promise<LaunchOutcome[]> {
  const pinned = pinToDigest(image, target.digest);
  const imageUri = formatImageReference(pinned);
  const known: KnownImage = target.resolved
    ? { reference: pinned, resolved: target.resolved }
    : { reference: pinned };
  const launches: LaunchOutcome[] = [];
  for (const rule of rules) {
    const idempotencyKey = pushIdempotencyKey(rule.name, repositoryOf(image), target.digest);
    const keys = { source: 'push', idempotencyKey, correlationId: meta.messageId, rule: rule.name } as const;
    const admission = admit(jobRequestFromRule(rule, imageUri), keys, deps.config);
    launches.push(
      admission.admitted
        ? await launch(admission.request, deps, { image: known })
        : await publishRejection(deps, {
            source: 'push',
            correlationId: meta.messageId,
            idempotencyKey,
            category: 'invalid',
            reasons: [admission.finding],
            rule: rule.name,
          }),
    );
  }
  return launches;
}

type PushedRead =
  | { kind: 'image'; digest: string; resolved: { image: ResolvedImage; platform: Platform } }
  | { kind: 'not-an-image'; finding: Finding }
  | { kind: 'unreadable'; finding: Finding };

/**
 * Reads the pushed image (tag → digest, and the manifests judged) to tell images from artifacts
 * before any rule launches. Permanent registry answers come back as a finding; transient ones throw.
 * The resolution is handed to the launches, which judge the same image for the job's platform.
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
  const report = judgeRead(resolved, { platform });
  const notAnImage = report.reasons.find((reason) => reason.code === 'NOT_AN_IMAGE');
  return notAnImage
    ? { kind: 'not-an-image', finding: notAnImage }
    : { kind: 'image', digest: resolved.digest, resolved: { image: resolved, platform } };
}

/** Refuses the push message itself (not one rule's launch): `request.rejected` keyed on the message. */
function publishPushRefusal(deps: PipelineDeps, meta: PushMeta, reason: Finding): Promise<Rejected> {
  return publishRejection(deps, {
    source: 'push',
    correlationId: meta.messageId,
    idempotencyKey: `push-message:${meta.messageId}`,
    category: 'invalid',
    reasons: [reason],
  });
}
