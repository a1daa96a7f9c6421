/**
 * `streamgate check IMAGE_REF` as a user runs it: the real `bin/streamgate` process, reading images
 * this test builds and pushes into Debian's real `docker-registry` (distribution 2.8), reached
 * through STREAMGATE_REGISTRY_OVERRIDES. Spawns are few and run concurrently (each costs ~1 s).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runStreamgateBin, type BinRun as Run } from '../../helpers/streamgate-bin.js';
import {
  describeDockerRegistryTier,
  startDockerRegistry,
  type RunningDockerRegistry,
} from '../../helpers/docker-registry.js';
import {
  buildImage,
  buildIndex,
  emptyGzipLayer,
  makeLayer,
  Pusher,
  type BuiltImage,
} from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';

const streamgate = runStreamgateBin;

interface CheckJson {
  verdict: string;
  reasons: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
  platformDigest?: string;
  jobRegion?: string;
}

/** stdout must be exactly one JSON object (one line). */
function onlyJson(run: Run): CheckJson {
  const lines = run.stdout.trim().split('\n');
  expect(lines, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as CheckJson;
}

describeDockerRegistryTier('streamgate check IMAGE_REF against the real docker-registry', () => {
  let registry: RunningDockerRegistry;
  let amd64: BuiltImage;
  let arm64: BuiltImage;
  let indexDigest = '';
  let eligibleDigest = '';
  const runs: Record<string, Run> = {};

  beforeAll(async () => {
    registry = await startDockerRegistry();
    const pusher = new Pusher(registry.url);
    const base = await makeLayer({ 'etc/os-release': 'ID=streamgate-cli\n' });
    const app = await makeLayer({ 'app/run.sh': '#!/bin/sh\necho cli\n' });

    eligibleDigest = await pusher.pushImage('p/r/img', buildImage([base, app], { format: 'docker' }), 'tag');
    amd64 = buildImage([base, await makeLayer({ 'arch.txt': 'amd64' })], { format: 'oci' });
    arm64 = buildImage([base, await makeLayer({ 'arch.txt': 'arm64' })], {
      format: 'oci',
      architecture: 'arm64',
    });
    await pusher.pushImage('p/r/multi', amd64);
    await pusher.pushImage('p/r/multi', arm64);
    const index = buildIndex([arm64, amd64], 'oci');
    indexDigest = await pusher.pushManifest('p/r/multi', index.manifest, index.mediaType, 'tag');
    await pusher.pushImage('p/r/empty', buildImage([base, emptyGzipLayer(), app]), 'tag');
    await pusher.pushImage('p/r/duplicate', buildImage([base, app, base]), 'tag');

    // Independent processes: run them side by side.
    const cases: Record<string, string[]> = {
      eligible: ['check', `${HOST}/p/r/img:tag`, '--json'],
      eligibleText: ['check', `${HOST}/p/r/img:tag`, '--region', 'us-west1'],
      index: ['check', `${HOST}/p/r/multi:tag`, '--json'],
      indexArm: ['check', `${HOST}/p/r/multi:tag`, '--json', '--platform', 'linux/arm64'],
      empty: ['check', `${HOST}/p/r/empty:tag`, '--json'],
      duplicate: ['check', `${HOST}/p/r/duplicate:tag`, '--json'],
      missing: ['check', `${HOST}/p/r/img:missing`, '--json'],
    };
    const results = await Promise.all(
      Object.entries(cases).map(
        async ([name, args]) => [name, await streamgate(args, registry.url)] as const,
      ),
    );
    for (const [name, run] of results) runs[name] = run;
  }, 240_000);
  afterAll(async () => registry?.stop());

  it('an eligible Docker schema 2 image: exit 0, eligible, job region from the image location', () => {
    const run = runs.eligible as Run;
    expect(run.code, run.stderr).toBe(0);
    const json = onlyJson(run);
    expect(json.verdict).toBe('eligible');
    expect(json.reasons).toEqual([]);
    expect(json.jobRegion).toBe('us-central1');
    // No Google endpoint is reachable here: the facts are missing, which is a warning only.
    expect(json.warnings.map((w) => w.code)).toContain('REPOSITORY_FACTS_UNAVAILABLE');
    expect(json.platformDigest).toBeUndefined();
  });

  it('the readable report names the image, its digest and the reasons; a foreign region is LOCATION_MISMATCH', () => {
    const run = runs.eligibleText as Run;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^INELIGIBLE: us-central1-docker\.pkg\.dev\/p\/r\/img:tag/);
    expect(run.stdout).toContain(eligibleDigest);
    expect(run.stdout).toMatch(/reason\s+LOCATION_MISMATCH/);
  });

  it('a two-platform OCI index: eligible through the platform child, reported as platformDigest', () => {
    const amdJson = onlyJson(runs.index as Run);
    expect(runs.index?.code).toBe(0);
    expect(amdJson.verdict).toBe('eligible');
    expect(amdJson.platformDigest).toBe(amd64.digest);
    expect(amdJson.platformDigest).not.toBe(indexDigest);

    const armJson = onlyJson(runs.indexArm as Run);
    expect(runs.indexArm?.code).toBe(0);
    expect(armJson.platformDigest).toBe(arm64.digest);
  });

  it('the gzip empty layer: exit 1, EMPTY_LAYER', () => {
    const json = onlyJson(runs.empty as Run);
    expect(runs.empty?.code).toBe(1);
    expect(json.verdict).toBe('ineligible');
    expect(json.reasons.map((r) => r.code)).toContain('EMPTY_LAYER');
  });

  it('a duplicated layer: exit 1, DUPLICATE_LAYER', () => {
    const json = onlyJson(runs.duplicate as Run);
    expect(runs.duplicate?.code).toBe(1);
    expect(json.verdict).toBe('ineligible');
    expect(json.reasons.map((r) => r.code)).toEqual(['DUPLICATE_LAYER']);
  });

  it("a missing tag: exit 2, nothing on stdout, one stderr line with the registry's answer", () => {
    const run = runs.missing as Run;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^streamgate: cannot read us-central1-docker\.pkg\.dev\/p\/r\/img:missing: 404 MANIFEST_UNKNOWN/,
    );
  });

  it('no run waits on the unreachable Google APIs: without credentials Artifact Registry is not asked', () => {
    // A run that waited on them would be killed by the spawn timeout (code -1), far beyond any run here.
    for (const [name, run] of Object.entries(runs)) expect(run.code, `${name}: ${run.stderr}`).not.toBe(-1);
    for (const name of ['eligible', 'index', 'indexArm', 'empty', 'duplicate']) {
      const facts = onlyJson(runs[name] as Run).warnings.filter(
        (w) => w.code === 'REPOSITORY_FACTS_UNAVAILABLE',
      );
      expect(
        facts.map((w) => w.message),
        name,
      ).toEqual([expect.stringMatching(/^Artifact Registry was not asked/)]);
    }
  });
});
