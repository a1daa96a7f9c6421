import { z } from 'zod';
import { jobDefaultsFor } from '../core/config.js';
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
import { jobRequestFromRule, matchRules } from '../core/rules.js';
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

/**
 * Handles one Artifact Registry notification: INSERTs of images that match rules launch one job per
 * rule, deduplicated on rule + repository + digest (AR may send several INSERTs per digest, tag-only
 * or not; the same digest in two repositories is two jobs);
 * DELETEs and unmatched images are acknowledged and ignored.
 *
 * @example
 *   await handlePush({ action: 'INSERT', digest: 'us-central1-docker.pkg.dev/p/r/app@sha256:…' }, { messageId }, deps);
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
  const text = notice.digest ?? notice.tag;
  if (!text) {
    return refuse(deps, meta, {
      code: 'INVALID_REQUEST',
      message: 'The INSERT notification names no digest and no tag.',
    });
  }
  let image: ImageReference;
  try {
    image = parseImageReference(text);
    if (notice.digest && !image.digest) throw new Error('no digest');
  } catch (error) {
    const message = isStreamgateError(error)
      ? error.message
      : `"${text.slice(0, 200)}" is not a digest reference.`;
    return refuse(deps, meta, { code: 'INVALID_IMAGE_REFERENCE', message });
  }

  const rules = matchRules(image, deps.config.rules);
  if (rules.length === 0) {
    log.info('no rule matches the pushed image', { image: text });
    return { status: 'ignored', reason: 'No rule matches the image.' };
  }

  // Tag-only INSERT: resolve the tag so the dedupe key (and the job) use the digest.
  let digest = image.digest;
  if (!digest) {
    const resolved = await resolveDigest(image, deps);
    if (typeof resolved !== 'string') return refuse(deps, meta, resolved);
    digest = resolved;
  }
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
  return { status: 'handled', digest, launches };
}

async function resolveDigest(image: ImageReference, deps: PipelineDeps): Promise<string | Finding> {
  try {
    const resolved = await deps.images.resolve(image, parsePlatform(deps.config.platform));
    return resolved.digest;
  } catch (error) {
    if (isStreamgateError(error) && !error.transient) return { code: error.code, message: error.message };
    throw error;
  }
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
