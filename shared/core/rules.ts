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
