import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/core/config.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { parseJobRequest } from '../../../shared/core/request.js';
import {
  isCosignTag,
  jobRequestFromRule,
  matchRules,
  rulesForPush,
} from '../../../shared/core/push-rules.js';

const config = parseConfig({
  project: 'demo-project',
  topics: { events: 'events', notifications: 'notes' },
  jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
  rules: [
    {
      name: 'all-apps',
      image: 'us-central1-docker.pkg.dev/demo-project/apps/**',
      template: { taskCount: 2, labels: { team: 'a' } },
    },
    { name: 'web-only', image: 'us-central1-docker.pkg.dev/demo-project/apps/web', streaming: 'require' },
    { name: 'top-level', image: 'us-central1-docker.pkg.dev/demo-project/apps/*' },
    { name: 'nightly', image: 'us-central1-docker.pkg.dev/demo-project/apps/**', untagged: true },
  ],
});
const digest = `sha256:${'e'.repeat(64)}`;

describe('matchRules', () => {
  it('returns every matching rule in config order', () => {
    const web = parseImageReference(`us-central1-docker.pkg.dev/demo-project/apps/web@${digest}`);
    expect(matchRules(web, config.rules).map((r) => r.name)).toEqual([
      'all-apps',
      'web-only',
      'top-level',
      'nightly',
    ]);
    const nested = parseImageReference('us-central1-docker.pkg.dev/demo-project/apps/team/api:1');
    expect(matchRules(nested, config.rules).map((r) => r.name)).toEqual(['all-apps', 'nightly']);
  });

  it('matches nothing outside the patterns, whatever the tag', () => {
    expect(
      matchRules(parseImageReference('us-central1-docker.pkg.dev/demo-project/other/web:apps'), config.rules),
    ).toEqual([]);
    expect(
      matchRules(parseImageReference('europe-docker.pkg.dev/demo-project/apps/web:1'), config.rules),
    ).toEqual([]);
  });
});

describe('jobRequestFromRule', () => {
  it('builds a valid JobRequest from the template, image and streaming mode', () => {
    const [allApps, webOnly] = config.rules;
    const uri = `us-central1-docker.pkg.dev/demo-project/apps/web@${digest}`;
    const request = parseJobRequest(jobRequestFromRule(allApps!, uri));
    expect(request).toMatchObject({ image: uri, streaming: 'auto', taskCount: 2, labels: { team: 'a' } });
    expect(parseJobRequest(jobRequestFromRule(webOnly!, uri)).streaming).toBe('require');
  });
});

describe('rulesForPush', () => {
  const web = parseImageReference(`us-central1-docker.pkg.dev/demo-project/apps/web@${digest}`);

  it('launches every matching rule for a tagged push', () => {
    expect(rulesForPush(web, { tagged: true }, config.rules).map((r) => r.name)).toEqual([
      'all-apps',
      'web-only',
      'top-level',
      'nightly',
    ]);
  });

  it('launches only rules with untagged: true for a push without a tag (the default is false)', () => {
    expect(rulesForPush(web, { tagged: false }, config.rules).map((r) => r.name)).toEqual(['nightly']);
    expect(config.rules.map((r) => r.untagged)).toEqual([false, false, false, true]);
  });
});

describe('isCosignTag', () => {
  const hex = 'ab'.repeat(32);

  it("recognises cosign's signature, attestation and SBOM tags, with or without an attach prefix", () => {
    for (const tag of [
      `sha256-${hex}.sig`,
      `sha256-${hex}.att`,
      `sha256-${hex}.sbom`,
      `v1-sha256-${hex}.sig`,
    ]) {
      expect(isCosignTag(tag), tag).toBe(true);
    }
  });

  it('leaves ordinary tags alone, including near misses', () => {
    for (const tag of [
      'v1',
      'latest',
      `sha256-${hex}`,
      `sha256-${hex}.sig2`,
      `sha256-${hex.slice(2)}.sig`,
      `sha256-${hex.toUpperCase()}.sig`,
      `sha512-${hex}.sig`,
    ]) {
      expect(isCosignTag(tag), tag).toBe(false);
    }
  });
});
