import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/core/config.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import { parseJobRequest } from '../../../shared/core/request.js';
import { jobRequestFromRule, matchRules } from '../../../shared/core/rules.js';

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
  ],
});
const digest = `sha256:${'e'.repeat(64)}`;

describe('matchRules', () => {
  it('returns every matching rule in config order', () => {
    const web = parseImageReference(`us-central1-docker.pkg.dev/demo-project/apps/web@${digest}`);
    expect(matchRules(web, config.rules).map((r) => r.name)).toEqual(['all-apps', 'web-only', 'top-level']);
    const nested = parseImageReference('us-central1-docker.pkg.dev/demo-project/apps/team/api:1');
    expect(matchRules(nested, config.rules).map((r) => r.name)).toEqual(['all-apps']);
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
