import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  FINGERPRINT_EXCLUDED_FIELDS,
  requestFingerprint,
} from '../../../shared/core/fingerprint.js';
import type { LaunchRequest } from '../../../shared/core/request.js';

/** A request with every LaunchRequest field set, so each one can be changed in turn. */
function full(): LaunchRequest {
  return {
    source: 'webhook',
    idempotencyKey: 'build-42',
    correlationId: 'ci-run-7',
    image: 'us-central1-docker.pkg.dev/p/apps/web:1.0',
    container: {
      commands: ['-c', 'echo hi'],
      entrypoint: '/bin/sh',
      volumes: ['/mnt/a:/a:ro'],
      options: '--cap-add=SYS_PTRACE',
      blockExternalNetwork: true,
    },
    environment: { ALPHA: '1', ZED: 'two' },
    taskCount: 4,
    parallelism: 2,
    machineType: 'e2-standard-4',
    platform: 'linux/amd64',
    provisioningModel: 'SPOT',
    cpuMilli: 1500,
    memoryMib: 4096,
    maxRunDurationSeconds: 900,
    maxRetryCount: 3,
    region: 'us-central1',
    streaming: 'auto',
    labels: { team: 'platform', env: 'ci' },
    rule: 'apps',
  };
}

/** One change per launched field: each makes a different job, so a different request. */
const CHANGES: Record<string, (r: LaunchRequest) => void> = {
  source: (r) => (r.source = 'pubsub'),
  image: (r) => (r.image = 'us-central1-docker.pkg.dev/p/apps/web:1.1'),
  container: (r) => (r.container.commands = ['echo hi', '-c']),
  environment: (r) => (r.environment.ZED = 'three'),
  taskCount: (r) => (r.taskCount = 5),
  parallelism: (r) => (r.parallelism = 3),
  machineType: (r) => (r.machineType = 'e2-standard-8'),
  platform: (r) => (r.platform = 'linux/amd64/v2'),
  provisioningModel: (r) => (r.provisioningModel = 'STANDARD'),
  cpuMilli: (r) => (r.cpuMilli = 1501),
  memoryMib: (r) => (r.memoryMib = 4097),
  maxRunDurationSeconds: (r) => (r.maxRunDurationSeconds = 901),
  maxRetryCount: (r) => (r.maxRetryCount = 2),
  region: (r) => (r.region = 'us-east1'),
  streaming: (r) => (r.streaming = 'require'),
  labels: (r) => (r.labels.team = 'data'),
  rule: (r) => (r.rule = 'bench'),
};

/** Container fields, changed one by one. */
const CONTAINER_CHANGES: Array<(r: LaunchRequest) => void> = [
  (r) => r.container.commands.push('--verbose'),
  (r) => (r.container.entrypoint = '/bin/bash'),
  (r) => delete r.container.entrypoint,
  (r) => (r.container.volumes = []),
  (r) => (r.container.options = '--privileged'),
  (r) => (r.container.blockExternalNetwork = false),
];

function changed(change: (r: LaunchRequest) => void): LaunchRequest {
  const request = structuredClone(full());
  change(request);
  return request;
}

describe('requestFingerprint', () => {
  it('is 20 lowercase base32 characters, the same for the same request', () => {
    expect(requestFingerprint(full())).toMatch(/^[a-z2-7]{20}$/);
    expect(requestFingerprint(full())).toBe(requestFingerprint(structuredClone(full())));
  });

  it('ignores the order in which object keys were written, at every level', () => {
    const original = full();
    const reordered = Object.fromEntries(Object.entries(original).reverse()) as unknown as LaunchRequest;
    reordered.environment = { ZED: 'two', ALPHA: '1' };
    reordered.labels = { env: 'ci', team: 'platform' };
    reordered.container = Object.fromEntries(
      Object.entries(original.container).reverse(),
    ) as LaunchRequest['container'];
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(original));
    expect(requestFingerprint(reordered)).toBe(requestFingerprint(original));
  });

  it('leaves out the per-delivery fields: the key and the correlation id', () => {
    expect([...FINGERPRINT_EXCLUDED_FIELDS].sort()).toEqual(['correlationId', 'idempotencyKey']);
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (key, correlationId) => {
        const other = { ...full(), idempotencyKey: key, correlationId };
        return requestFingerprint(other) === requestFingerprint(full());
      }),
      { numRuns: 100 },
    );
  });

  it('changes with every launched field (and the list covers every LaunchRequest field)', () => {
    const launchedFields = Object.keys(full()).filter((f) => !FINGERPRINT_EXCLUDED_FIELDS.has(f));
    // A field added to LaunchRequest must be added here, and so considered for the fingerprint.
    expect(Object.keys(CHANGES).sort()).toEqual(launchedFields.sort());
    const base = requestFingerprint(full());
    const seen = new Set([base]);
    for (const [field, change] of Object.entries(CHANGES)) {
      const fingerprint = requestFingerprint(changed(change));
      expect(fingerprint, field).not.toBe(base);
      seen.add(fingerprint);
    }
    for (const change of CONTAINER_CHANGES) {
      const fingerprint = requestFingerprint(changed(change));
      expect(fingerprint).not.toBe(base);
      seen.add(fingerprint);
    }
    expect(seen.size).toBe(1 + Object.keys(CHANGES).length + CONTAINER_CHANGES.length);
  });

  it('tells an unset optional field from a set one', () => {
    const withoutRegion = changed((r) => delete r.region);
    const withoutRule = changed((r) => delete r.rule);
    expect(requestFingerprint(withoutRegion)).not.toBe(requestFingerprint(full()));
    expect(requestFingerprint(withoutRule)).not.toBe(requestFingerprint(full()));
    // An explicit undefined is the same as unset.
    expect(requestFingerprint({ ...withoutRegion, region: undefined } as LaunchRequest)).toBe(
      requestFingerprint(withoutRegion),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, b: 'x' } })).toBe(
      '{"a":{"b":"x","d":[2,1]},"b":1}',
    );
    expect(canonicalJson([{ y: null, x: true }])).toBe('[{"x":true,"y":null}]');
  });

  it('parses back to the same value for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });
});
