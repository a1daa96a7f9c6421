import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  eventSource,
  jobDefaultsFor,
  locationSettingsFor,
  parseConfig,
  StreamgateConfigSchema,
  topicPath,
} from '../../../shared/core/config.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { DEFAULT_LOCATION_SETTINGS } from '../../../shared/core/locations.js';
import { DEFAULT_POLICY } from '../../../shared/core/policy.js';
import { DEFAULT_JOB_DEFAULTS, parseJobRequest, toLaunchRequest } from '../../../shared/core/request.js';

const minimal = {
  project: 'demo-project',
  topics: { events: 'streamgate-events', notifications: 'batch-notes' },
  jobServiceAccount: 'jobs@demo-project.iam.gserviceaccount.com',
};

function issues(value: unknown): string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(StreamgateError);
    expect((error as StreamgateError).code).toBe('CONFIG_INVALID');
    const list = (error as StreamgateError).details.issues as string[];
    for (const issue of list) expect((error as Error).message).toContain(issue);
    return list;
  }
  throw new Error('expected the config to be rejected');
}

describe('StreamgateConfigSchema', () => {
  it('fills sensible defaults for a minimal config', () => {
    const config = parseConfig(minimal);
    expect(config.platform).toBe('linux/amd64');
    expect(config.defaults).toEqual(DEFAULT_JOB_DEFAULTS);
    expect(config.policy).toEqual(DEFAULT_POLICY);
    expect(config.rules).toEqual([]);
    expect(config.webhook).toEqual({ toleranceSeconds: 300, maxBodyBytes: 65536 });
    expect(config.events).toEqual({ stateChanged: false });
    expect(config.locations).toEqual({});
  });

  it('accepts the shipped example', () => {
    const example: unknown = JSON.parse(
      readFileSync(new URL('../../../streamgate.config.example.json', import.meta.url), 'utf8'),
    );
    const config = parseConfig(example);
    expect(config.rules.map((r) => r.name)).toEqual(['smoke-test', 'nightly-batch']);
    expect(config.rules[1]?.template.provisioningModel).toBe('SPOT');
  });

  it('lists every issue by path', () => {
    const found = issues({
      ...minimal,
      project: 'X',
      jobServiceAccount: 'not-an-email',
      policy: { maxTaskCount: '10', surprise: true },
      rules: [
        { name: 'a', image: '**', template: { image: 'x' } },
        { name: 'a', image: '**', streaming: 'maybe' },
      ],
      topics: { events: 'ok-topic' },
    });
    expect(found).toContain('policy.maxTaskCount: expected number, received string');
    const joined = found.join('\n');
    for (const path of [
      'project:',
      'jobServiceAccount:',
      'policy:',
      'rules[0].template:',
      'rules[1].streaming:',
      'topics.notifications:',
    ]) {
      expect(joined).toContain(path);
    }
    expect(found.length).toBeGreaterThanOrEqual(7);
  });

  it('refuses duplicate rule names', () => {
    expect(
      issues({
        ...minimal,
        rules: [
          { name: 'a', image: '**' },
          { name: 'a', image: 'x/**' },
        ],
      }),
    ).toEqual(['rules[1].name: duplicate rule name "a"']);
  });

  it('accepts topic ids and full topic names only', () => {
    expect(
      StreamgateConfigSchema.safeParse({
        ...minimal,
        topics: { ...minimal.topics, events: 'projects/other-proj/topics/evt' },
      }).success,
    ).toBe(true);
    expect(
      issues({ ...minimal, topics: { ...minimal.topics, events: 'projects/x/subscriptions/y' } }).join(),
    ).toContain('topics.events');
    expect(issues({ ...minimal, topics: { ...minimal.topics, events: 'a' } }).join()).toContain(
      'topics.events',
    );
  });

  it('allows a $schema key for editors but nothing else unknown', () => {
    expect(parseConfig({ ...minimal, $schema: './schemas/config.json' }).$schema).toBe(
      './schemas/config.json',
    );
    expect(issues({ ...minimal, eventsTopic: 'x' }).join()).toContain('eventsTopic');
  });
});

describe('config helpers', () => {
  it('topicPath keeps full names and qualifies ids', () => {
    expect(topicPath('p-1234', 'events')).toBe('projects/p-1234/topics/events');
    expect(topicPath('p-1234', 'projects/o-5678/topics/e')).toBe('projects/o-5678/topics/e');
  });

  it('eventSource defaults to the project', () => {
    expect(eventSource(parseConfig(minimal))).toBe('//streamgate/projects/demo-project');
    expect(eventSource(parseConfig({ ...minimal, events: { source: '//x' } }))).toBe('//x');
  });

  it('locationSettingsFor overrides the core tables', () => {
    const config = parseConfig({
      ...minimal,
      locations: {
        batchRegions: ['us-central1'],
        multiRegions: { europe: { regionPrefixes: ['europe-'], defaultRegion: 'europe-west4' } },
      },
    });
    const settings = locationSettingsFor(config, DEFAULT_LOCATION_SETTINGS);
    expect(settings.batchRegions).toEqual(['us-central1']);
    expect(settings.multiRegions.europe?.defaultRegion).toBe('europe-west4');
    expect(settings.multiRegions.us).toEqual(DEFAULT_LOCATION_SETTINGS.multiRegions.us);
    expect(locationSettingsFor(parseConfig(minimal), DEFAULT_LOCATION_SETTINGS)).toEqual(
      DEFAULT_LOCATION_SETTINGS,
    );
  });

  it('jobDefaultsFor caps an unset parallelism at policy.maxParallelism', () => {
    const config = parseConfig({ ...minimal, policy: { maxParallelism: 50 } });
    const request = parseJobRequest({ apiVersion: 'streamgate/v1', image: 'x/y', taskCount: 500 });
    const launch = toLaunchRequest(request, {
      source: 'pubsub',
      idempotencyKey: 'k',
      correlationId: 'c',
      defaults: jobDefaultsFor(config),
    });
    expect(launch.parallelism).toBe(50);
    const configured = parseConfig({ ...minimal, defaults: { parallelism: 7 } });
    expect(jobDefaultsFor(configured).parallelism).toBe(7);
  });
});
