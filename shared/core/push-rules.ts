import type { Rule } from './config.js';
import { globMatches } from './glob.js';
import type { ImageReference } from './image-reference.js';
import { repositoryOf } from './policy.js';
import { JOB_REQUEST_API_VERSION, type JobRequestV1 } from './request.js';

/**
 * Push rules: which pushed images start which jobs. Every matching rule launches its own job, so
 * one push can fan out (e.g. a smoke test and a benchmark).
 */

/**
 * cosign's companion tags: `sha256-<hex>.sig`, `.att` and `.sbom` name the signature, attestations
 * and SBOM of the image with that digest (cosign's specs/SIGNATURE_SPEC.md; `cosign attach` may put a
 * prefix before them, hence no anchor at the start). They are never images to run.
 */
const COSIGN_TAG = /sha256-[0-9a-f]{64}\.(?:sig|att|sbom)$/;

/**
 * True for a tag cosign pushes beside an image (its signature, attestation or SBOM).
 *
 * @example isCosignTag(`sha256-${'ab'.repeat(32)}.sig`) // true
 */
export function isCosignTag(tag: string): boolean {
  return COSIGN_TAG.test(tag);
}

/**
 * The rules that launch for a pushed image: those that match it and, for a push without a tag
 * (children of a multi-platform image arrive that way, before their tagged index), only those that
 * set `untagged`.
 *
 * @example rulesForPush(image, { tagged: false }, config.rules) // rules with untagged: true only
 */
export function rulesForPush(
  image: ImageReference,
  push: { tagged: boolean },
  rules: readonly Rule[],
): Rule[] {
  return matchRules(image, rules).filter((rule) => push.tagged || rule.untagged);
}

/**
 * All rules whose `image` glob matches the pushed image's `host[:port]/path`, in config order.
 *
 * @example matchRules(parseImageReference('us-docker.pkg.dev/p/apps/web@sha256:…'), config.rules)
 */
export function matchRules(image: ImageReference, rules: readonly Rule[]): Rule[] {
  const repository = repositoryOf(image);
  return rules.filter((rule) => globMatches(rule.image, repository));
}

/** The JobRequest a rule makes for an image (pin `imageUri` to the digest before calling). */
export function jobRequestFromRule(rule: Rule, imageUri: string): JobRequestV1 {
  return {
    apiVersion: JOB_REQUEST_API_VERSION,
    image: imageUri,
    streaming: rule.streaming,
    ...rule.template,
  };
}
