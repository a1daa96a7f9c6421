import { describe, expect, it } from 'vitest';
import { compileGlob, globMatches } from '../../../shared/core/glob.js';
import { parseImageReference } from '../../../shared/core/image-reference.js';
import {
  checkFallbackPolicy,
  checkPolicy,
  checkRegionPolicy,
  DEFAULT_POLICY,
  PolicySchema,
  repositoryOf,
  type Policy,
} from '../../../shared/core/policy.js';
import { parseJobRequest, toLaunchRequest, type LaunchRequest } from '../../../shared/core/request.js';

describe('glob', () => {
  it('* stays within a segment, ** crosses segments', () => {
    expect(globMatches('us-docker.pkg.dev/p/*', 'us-docker.pkg.dev/p/app')).toBe(true);
    expect(globMatches('us-docker.pkg.dev/p/*', 'us-docker.pkg.dev/p/apps/web')).toBe(false);
    expect(globMatches('us-docker.pkg.dev/p/**', 'us-docker.pkg.dev/p/apps/web')).toBe(true);
    expect(globMatches('*-docker.pkg.dev/p/**', 'europe-west4-docker.pkg.dev/p/a/b/c')).toBe(true);
    expect(globMatches('*-docker.pkg.dev/p/**', 'evil.com/x-docker.pkg.dev/p/a')).toBe(false);
    expect(globMatches('**', 'anything/at/all')).toBe(true);
  });

  it('a whole ** segment also matches zero segments', () => {
    expect(globMatches('h/**/web', 'h/web')).toBe(true);
    expect(globMatches('h/**/web', 'h/a/b/web')).toBe(true);
    expect(globMatches('h/**/web', 'h/a/b/api')).toBe(false);
  });

  it('treats every other character literally and anchors both ends', () => {
    expect(globMatches('gcr.io/p/app', 'gcrXio/p/app')).toBe(false);
    expect(globMatches('a+b(c)?[d]{1}|$^\\', 'a+b(c)?[d]{1}|$^\\')).toBe(true);
    expect(globMatches('a?', 'ab')).toBe(false);
    expect(globMatches('n2-*', 'xn2-standard')).toBe(false);
    expect(globMatches('n2-*', 'n2-standard-4-extra')).toBe(true);
    expect(compileGlob('a.b').test('a.b/c')).toBe(false);
  });
});

const IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/web:1.0';

function launch(fields: Record<string, unknown> = {}): LaunchRequest {
  return toLaunchRequest(parseJobRequest({ apiVersion: 'streamgate/v1', image: IMAGE, ...fields }), {
    source: 'pubsub',
    idempotencyKey: 'k',
    correlationId: 'c',
  });
}

const strict: Policy = PolicySchema.parse({
  allowedRepositories: ['*-docker.pkg.dev/demo-project/**'],
  allowedRegions: ['us-*', 'europe-west4'],
  allowedMachineTypes: ['e2-*'],
  maxTaskCount: 10,
  maxParallelism: 2,
  maxRunDurationSeconds: 3600,
  allowNonStreamingFallback: false,
});

describe('checkPolicy', () => {
  it('allows everything with the default policy and a compliant request with a strict one', () => {
    const image = parseImageReference(IMAGE);
    expect(
      checkPolicy(
        launch({ taskCount: 5000, parallelism: 1000, machineType: 'n2-highmem-96' }),
        image,
        DEFAULT_POLICY,
      ),
    ).toEqual([]);
    expect(
      checkPolicy(
        launch({ taskCount: 10, parallelism: 2, machineType: 'e2-small', region: 'us-central1' }),
        image,
        strict,
      ),
    ).toEqual([]);
  });

  it('reports each violation with the offending value and the allowed values', () => {
    const image = parseImageReference('docker.io/library/nginx:latest');
    const findings = checkPolicy(
      launch({
        image: 'docker.io/library/nginx:latest',
        region: 'asia-east1',
        machineType: 'n2-standard-4',
        taskCount: 11,
        parallelism: 3,
        maxRunDuration: '3601s',
      }),
      image,
      strict,
    );
    expect(findings.map((f) => f.code)).toEqual([
      'POLICY_REPOSITORY',
      'POLICY_REGION',
      'POLICY_MACHINE_TYPE',
      'POLICY_TASK_COUNT',
      'POLICY_PARALLELISM',
      'POLICY_RUN_DURATION',
    ]);
    const byCode = Object.fromEntries(findings.map((f) => [f.code, f.message]));
    expect(byCode.POLICY_REPOSITORY).toContain(repositoryOf(image));
    expect(byCode.POLICY_REPOSITORY).toContain('*-docker.pkg.dev/demo-project/**');
    expect(byCode.POLICY_REGION).toContain('asia-east1');
    expect(byCode.POLICY_REGION).toContain('us-*, europe-west4');
    expect(byCode.POLICY_MACHINE_TYPE).toContain('n2-standard-4');
    expect(byCode.POLICY_MACHINE_TYPE).toContain('e2-*');
    expect(byCode.POLICY_TASK_COUNT).toMatch(/11.*10/);
    expect(byCode.POLICY_PARALLELISM).toMatch(/3.*2/);
    expect(byCode.POLICY_RUN_DURATION).toMatch(/3601s.*3600s/);
  });

  it('matches repositories on host[:port]/path, ignoring tag and digest', () => {
    const pinned = parseImageReference(`${IMAGE.replace(':1.0', '')}@sha256:${'a'.repeat(64)}`);
    expect(repositoryOf(pinned)).toBe('us-central1-docker.pkg.dev/demo-project/apps/web');
    expect(checkPolicy(launch(), pinned, strict)).toEqual([]);
    const local = parseImageReference('127.0.0.1:5000/demo-project/apps/web:1');
    expect(repositoryOf(local)).toBe('127.0.0.1:5000/demo-project/apps/web');
  });

  it('leaves the machine type to Batch when the request names none', () => {
    expect(checkPolicy(launch(), parseImageReference(IMAGE), strict)).toEqual([]);
  });
});

describe('checkRegionPolicy', () => {
  it('checks the job region against allowedRegions globs', () => {
    expect(checkRegionPolicy('us-east1', strict)).toEqual([]);
    expect(checkRegionPolicy('europe-west4', strict)).toEqual([]);
    const [finding] = checkRegionPolicy('europe-west1', strict);
    expect(finding?.code).toBe('POLICY_REGION');
    expect(finding?.message).toContain('europe-west1');
  });
});

describe('checkFallbackPolicy', () => {
  it('refuses an ineligible auto request only when fallback is disallowed', () => {
    const auto = launch();
    expect(checkFallbackPolicy(auto, { verdict: 'ineligible' }, strict).map((f) => f.code)).toEqual([
      'POLICY_STREAMING_FALLBACK',
    ]);
    expect(checkFallbackPolicy(auto, { verdict: 'needs-resolution' }, strict)).toHaveLength(1);
    expect(checkFallbackPolicy(auto, { verdict: 'eligible' }, strict)).toEqual([]);
    expect(checkFallbackPolicy(auto, { verdict: 'ineligible' }, DEFAULT_POLICY)).toEqual([]);
    expect(checkFallbackPolicy(launch({ streaming: 'off' }), { verdict: 'ineligible' }, strict)).toEqual([]);
    expect(checkFallbackPolicy(auto, { verdict: 'ineligible' }, strict)[0]?.message).toContain(IMAGE);
  });
});
