import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamgateError } from '../../../shared/core/errors.js';
import { LIMITS } from '../../../shared/core/limits.js';
import {
  containerFieldNames,
  DEFAULT_JOB_DEFAULTS,
  parseJobRequest,
  toLaunchRequest,
  type JobRequestV1,
} from '../../../shared/core/request.js';
import { summarizeRequest } from '../../../shared/core/request-summary.js';

const IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/web:1.0';
const base = { apiVersion: 'streamgate/v1', image: IMAGE } as const;
const opts = { source: 'webhook', idempotencyKey: 'fallback-key', correlationId: 'fallback-corr' } as const;

function issuesOf(input: unknown): string[] {
  try {
    parseJobRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(StreamgateError);
    const e = error as StreamgateError;
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.kind).toBe('permanent');
    return e.details.issues as string[];
  }
  throw new Error('expected the request to be rejected');
}

/** What the edge accepts: parseJobRequest, not the bare schema (zod skips `__proto__` record keys). */
function accepts(input: unknown): boolean {
  try {
    parseJobRequest(input);
    return true;
  } catch {
    return false;
  }
}

describe('JobRequest v1', () => {
  it('refuses a __proto__ label or environment name instead of dropping it silently', () => {
    const raw = JSON.parse(
      `{"apiVersion":"streamgate/v1","image":"${IMAGE}","labels":{"__proto__":"v"},"environment":{"__proto__":"x"}}`,
    ) as unknown;
    expect(issuesOf(raw)).toEqual([
      'labels.__proto__: "__proto__" cannot be used as a name',
      'environment.__proto__: "__proto__" cannot be used as a name',
    ]);
  });

  it('accepts a minimal request and a full one', () => {
    expect(parseJobRequest(base)).toEqual(base);
    const full: JobRequestV1 = {
      ...base,
      idempotencyKey: 'build-42',
      correlationId: 'ci-run-7',
      region: 'us-central1',
      streaming: 'require',
      container: {
        commands: ['-c', 'echo hi'],
        entrypoint: '/bin/sh',
        volumes: ['/a:/b:ro'],
        options: '--x',
        blockExternalNetwork: true,
      },
      environment: { STAGE: 'test', _X1: '' },
      taskCount: 4,
      parallelism: 2,
      machineType: 'e2-standard-4',
      provisioningModel: 'SPOT',
      cpuMilli: 1000,
      memoryMib: 512,
      maxRunDuration: '600s',
      maxRetryCount: 10,
      labels: { team: 'platform', 'cost-center': '' },
    };
    expect(parseJobRequest(full)).toEqual(full);
  });

  it('rejects unknown fields, secrets and identities, naming each path', () => {
    const issues = issuesOf({
      ...base,
      extra: 1,
      container: { username: 'u', password: 'p' },
    });
    expect(issues.some((i) => i.startsWith('(root):') && i.includes('extra'))).toBe(true);
    expect(
      issues.some((i) => i.startsWith('container:') && i.includes('username') && i.includes('password')),
    ).toBe(true);
    expect(issuesOf({ ...base, serviceAccount: 'x@y.iam.gserviceaccount.com' }).join()).toContain(
      'serviceAccount',
    );
  });

  it('requires apiVersion streamgate/v1 and an image without whitespace', () => {
    expect(issuesOf({ image: IMAGE }).join()).toContain('apiVersion');
    expect(issuesOf({ ...base, apiVersion: 'streamgate/v2' }).join()).toContain('apiVersion');
    expect(issuesOf({ ...base, image: 'a b' }).join()).toContain('image');
    expect(issuesOf({ ...base, image: 'x'.repeat(LIMITS.imageLength + 1) }).join()).toContain('image');
  });

  it('enforces label syntax, reserved prefixes and the label count', () => {
    for (const key of ['Team', '1team', 'streamgate-key', 'goog-x', 'google-x', 'a'.repeat(64)]) {
      expect(issuesOf({ ...base, labels: { [key]: 'v' } }).join(), key).toContain('labels');
    }
    expect(issuesOf({ ...base, labels: { team: 'Platform' } }).join()).toContain('labels.team');
    expect(issuesOf({ ...base, labels: { team: 'x'.repeat(64) } }).join()).toContain('labels.team');
    const many = Object.fromEntries(
      Array.from({ length: LIMITS.userLabelCount + 1 }, (_, i) => [`l${i}`, 'v']),
    );
    expect(issuesOf({ ...base, labels: many }).join()).toContain('at most 32 labels');
    const enough = Object.fromEntries(
      Array.from({ length: LIMITS.userLabelCount }, (_, i) => [`l${i}`, 'v']),
    );
    expect(parseJobRequest({ ...base, labels: enough }).labels).toEqual(enough);
  });

  it('label keys are accepted exactly when they follow GCP syntax and are not reserved', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.constant('__proto__')), (key) => {
        const ok = accepts({ ...base, labels: { [key]: 'v' } });
        const expected = /^[a-z][a-z0-9_-]{0,62}$/.test(key) && !/^(goog-|google-|streamgate-)/.test(key);
        return ok === expected;
      }),
      { numRuns: 300 },
    );
  });

  it('enforces environment names, count and value length', () => {
    expect(issuesOf({ ...base, environment: { '1X': 'a' } }).join()).toContain('environment');
    expect(issuesOf({ ...base, environment: { 'A-B': 'a' } }).join()).toContain('environment');
    expect(issuesOf({ ...base, environment: { A: 'x'.repeat(4097) } }).join()).toContain('environment.A');
    const vars = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, 'x']));
    expect(parseJobRequest({ ...base, environment: vars(100) }).environment).toEqual(vars(100));
    expect(issuesOf({ ...base, environment: vars(101) }).join()).toContain('at most 100');
  });

  it('enforces numeric ranges', () => {
    expect(issuesOf({ ...base, maxRetryCount: 11 }).join()).toContain('maxRetryCount');
    expect(issuesOf({ ...base, maxRetryCount: -1 }).join()).toContain('maxRetryCount');
    expect(issuesOf({ ...base, taskCount: 0 }).join()).toContain('taskCount');
    expect(issuesOf({ ...base, taskCount: 1.5 }).join()).toContain('taskCount');
    expect(issuesOf({ ...base, cpuMilli: '2000' }).join()).toContain(
      'cpuMilli: expected number, received string',
    );
    expect(issuesOf({ ...base, maxRunDuration: '0s' }).join()).toContain('maxRunDuration');
    expect(issuesOf({ ...base, maxRunDuration: '3600' }).join()).toContain('maxRunDuration');
    expect(issuesOf({ ...base, maxRunDuration: 0 }).join()).toContain('maxRunDuration');
    expect(issuesOf({ ...base, maxRunDuration: `${LIMITS.maxRunDurationSeconds + 1}s` }).join()).toContain(
      'maxRunDuration',
    );
    expect(issuesOf({ ...base, provisioningModel: 'PREEMPTIBLE' }).join()).toContain('provisioningModel');
    expect(issuesOf({ ...base, streaming: 'on' }).join()).toContain('streaming');
  });

  it('rejects non-object input', () => {
    for (const input of [null, 'x', 3, []]) expect(issuesOf(input).length).toBeGreaterThan(0);
  });
});

describe('toLaunchRequest', () => {
  it('applies defaults and the fallback ids', () => {
    const launch = toLaunchRequest(parseJobRequest(base), opts);
    expect(launch).toEqual({
      source: 'webhook',
      idempotencyKey: 'fallback-key',
      correlationId: 'fallback-corr',
      image: IMAGE,
      container: { commands: [], volumes: [] },
      environment: {},
      taskCount: DEFAULT_JOB_DEFAULTS.taskCount,
      parallelism: DEFAULT_JOB_DEFAULTS.taskCount,
      provisioningModel: 'STANDARD',
      cpuMilli: 2000,
      memoryMib: 2000,
      maxRunDurationSeconds: 3600,
      maxRetryCount: 0,
      streaming: 'auto',
      labels: {},
    });
  });

  it("lets the request's own ids and fields win over options and defaults", () => {
    const launch = toLaunchRequest(
      parseJobRequest({
        ...base,
        idempotencyKey: 'mine',
        correlationId: 'corr',
        taskCount: 3,
        maxRunDuration: '120s',
        region: 'us-central1',
      }),
      {
        ...opts,
        rule: 'smoke',
        defaults: { taskCount: 9, machineType: 'e2-small', streaming: 'off', maxRunDurationSeconds: 60 },
      },
    );
    expect(launch.idempotencyKey).toBe('mine');
    expect(launch.correlationId).toBe('corr');
    expect(launch.taskCount).toBe(3);
    expect(launch.machineType).toBe('e2-small');
    expect(launch.streaming).toBe('off');
    expect(launch.maxRunDurationSeconds).toBe(120);
    expect(launch.region).toBe('us-central1');
    expect(launch.rule).toBe('smoke');
    expect(
      toLaunchRequest(parseJobRequest({ ...base, maxRunDuration: 42 }), opts).maxRunDurationSeconds,
    ).toBe(42);
  });

  it('refuses a requested parallelism above taskCount but caps a default one', () => {
    expect(() => toLaunchRequest(parseJobRequest({ ...base, taskCount: 2, parallelism: 3 }), opts)).toThrow(
      /parallelism 3 exceeds taskCount 2/,
    );
    expect(
      toLaunchRequest(parseJobRequest({ ...base, taskCount: 2 }), { ...opts, defaults: { parallelism: 8 } })
        .parallelism,
    ).toBe(2);
    expect(
      toLaunchRequest(parseJobRequest({ ...base, taskCount: 20 }), { ...opts, defaults: { parallelism: 8 } })
        .parallelism,
    ).toBe(8);
  });

  it('does not share arrays or records with the input', () => {
    const request = parseJobRequest({ ...base, container: { commands: ['a'] }, labels: { a: 'b' } });
    const launch = toLaunchRequest(request, opts);
    launch.container.commands.push('x');
    launch.labels.c = 'd';
    expect(request.container?.commands).toEqual(['a']);
    expect(request.labels).toEqual({ a: 'b' });
  });
});

describe('containerFieldNames', () => {
  it('lists imageUri and every field that changes what Batch does', () => {
    expect(containerFieldNames({})).toEqual(['imageUri']);
    expect(
      containerFieldNames({ container: { commands: [], options: '', blockExternalNetwork: false } }),
    ).toEqual(['imageUri']);
    expect(
      containerFieldNames({
        container: {
          commands: ['a'],
          entrypoint: 'sh',
          volumes: ['/a:/a'],
          options: '--rm',
          blockExternalNetwork: true,
        },
      }),
    ).toEqual(['imageUri', 'commands', 'entrypoint', 'volumes', 'options', 'blockExternalNetwork']);
    const launch = toLaunchRequest(
      parseJobRequest({ ...base, container: { options: '--privileged' } }),
      opts,
    );
    expect(containerFieldNames(launch)).toEqual(['imageUri', 'options']);
  });
});

describe('summarizeRequest', () => {
  it('keeps recognisable fields and drops secrets, commands and env values', () => {
    const summary = summarizeRequest({
      ...base,
      region: 'us-central1',
      taskCount: 2,
      environment: { TOKEN: 's3cret-value', B: 'x' },
      container: { commands: ['--password=hunter2'] },
      labels: { team: 'a', Bad: 'x' },
      machineType: 'NOT VALID',
    });
    expect(summary).toEqual({
      image: IMAGE,
      region: 'us-central1',
      taskCount: 2,
      environmentNames: ['B', 'TOKEN'],
      labels: { team: 'a' },
    });
    expect(JSON.stringify(summary)).not.toContain('s3cret');
    expect(JSON.stringify(summary)).not.toContain('hunter2');
    expect(summarizeRequest('not an object')).toEqual({});
  });
});
