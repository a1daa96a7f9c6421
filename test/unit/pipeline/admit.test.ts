import { describe, expect, it } from 'vitest';
import { admit, type AdmissionKeys } from '../../../shared/pipeline/admit.js';
import { memoryPorts } from '../../helpers/memory-ports.js';

/** The one admission path: JSON plus the entry point's keys → LaunchRequest, or a refusal. */

const IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/web:1';
const keys: AdmissionKeys = { source: 'pubsub', idempotencyKey: 'message-1', correlationId: 'message-1' };
const config = memoryPorts({
  config: { defaults: { cpuMilli: 1500, taskCount: 3 }, policy: { maxParallelism: 2 } },
}).deps.config;

describe('admit', () => {
  it('admits a JobRequest with the keys as fallbacks and the config defaults applied', () => {
    const admission = admit({ apiVersion: 'streamgate/v1', image: IMAGE }, keys, config);
    expect(admission.admitted).toBe(true);
    if (!admission.admitted) return;
    expect(admission.keyGiven).toBe(false);
    expect(admission.request).toMatchObject({
      source: 'pubsub',
      idempotencyKey: 'message-1',
      correlationId: 'message-1',
      image: IMAGE,
      cpuMilli: 1500,
      taskCount: 3,
      // No default parallelism: the policy's maximum, capped at taskCount.
      parallelism: 2,
    });
    expect(admission.request).not.toHaveProperty('rule');
  });

  it("keeps the request's own ids and the rule it came from", () => {
    const json = { apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: 'own', correlationId: 'c-9' };
    const admission = admit(json, { ...keys, source: 'push', rule: 'apps' }, config);
    expect(admission.admitted && admission.request).toMatchObject({
      source: 'push',
      idempotencyKey: 'own',
      correlationId: 'c-9',
      rule: 'apps',
    });
    expect(admission.admitted && admission.keyGiven).toBe(true);
  });

  it('uses a key given beside the body over the derived one, and refuses two different keys', () => {
    const given = { ...keys, source: 'webhook', givenKey: 'header-key' } as const;
    const fromHeader = admit({ apiVersion: 'streamgate/v1', image: IMAGE }, given, config);
    expect(fromHeader.admitted && fromHeader.request.idempotencyKey).toBe('header-key');
    expect(fromHeader.admitted && fromHeader.keyGiven).toBe(true);
    const same = admit(
      { apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: 'header-key' },
      given,
      config,
    );
    expect(same.admitted).toBe(true);
    const differing = admit(
      { apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: 'body-key' },
      given,
      config,
    );
    expect(differing.admitted).toBe(false);
    if (differing.admitted) return;
    expect(differing.finding.code).toBe('INVALID_REQUEST');
    expect(differing.finding.message).toMatch(/Idempotency-Key header and the body's idempotencyKey differ/);
  });

  it('refuses an invalid request with every issue by path, keeping its own key when usable', () => {
    const json = { apiVersion: 'streamgate/v1', image: IMAGE, idempotencyKey: 'k-1', taskCount: 0, extra: 1 };
    const refused = admit(json, keys, config);
    expect(refused.admitted).toBe(false);
    if (refused.admitted) return;
    expect(refused.finding.code).toBe('INVALID_REQUEST');
    expect(refused.issues.some((issue) => issue.startsWith('taskCount'))).toBe(true);
    expect(refused.issues.some((issue) => issue.includes('extra'))).toBe(true);
    expect(refused.ownKey).toBe('k-1');

    const badKey = admit({ ...json, idempotencyKey: 'has space' }, keys, config);
    expect(!badKey.admitted && badKey).not.toHaveProperty('ownKey');
    expect(admit(null, keys, config)).toMatchObject({
      admitted: false,
      finding: { code: 'INVALID_REQUEST' },
    });
  });

  it('refuses what only the LaunchRequest can judge (parallelism over taskCount, platform and machine)', () => {
    const parallel = admit(
      { apiVersion: 'streamgate/v1', image: IMAGE, taskCount: 2, parallelism: 3 },
      keys,
      config,
    );
    expect(!parallel.admitted && parallel.issues).toEqual(['parallelism: must be at most taskCount (2)']);
    const platform = admit(
      { apiVersion: 'streamgate/v1', image: IMAGE, platform: 'linux/amd64', machineType: 'c4a-standard-4' },
      keys,
      config,
    );
    expect(platform).toMatchObject({ admitted: false, finding: { code: 'INVALID_REQUEST' } });
  });
});
