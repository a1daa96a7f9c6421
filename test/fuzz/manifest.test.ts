/**
 * Fuzzes the manifest parser and eligibility judge: directly (`judge`, as the pipeline calls it)
 * and through the CLI's `check --manifest` path in-process (`main([...])`, the function
 * bin/streamgate calls), plus a handful of real CLI processes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { exitStatusFor, toCheckJson } from '../../cli/report.js';
import { judge, type EligibilityReport, type JudgeInput } from '../../shared/core/eligibility.js';
import { EMPTY_DIGESTS } from '../../shared/core/media-types.js';
import type { FetchedManifest } from '../../shared/core/manifest.js';
import { ELIGIBILITY_REASONS, WARNING_CODES } from '../../shared/core/reason-codes.js';
import {
  corpusManifests,
  junkJson,
  mutatedFrom,
  nastyString,
  REPO_ROOT,
  type CorpusFile,
  type Json,
} from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-config.js';
import { guardProcessForFile } from './process-guard.js';

const manifests = corpusManifests();
const REASONS = new Set<string>(ELIGIBILITY_REASONS);
const WARNINGS = new Set<string>(WARNING_CODES);

/** Eligible single-image manifests of the corpus: the seeds of the metamorphic properties. */
const eligibleImages: CorpusFile[] = manifests.filter((file) => {
  const report = judge({ manifest: { document: file.value } });
  const layers = (file.value as { layers?: unknown }).layers;
  return report.verdict === 'eligible' && Array.isArray(layers) && layers.length > 0;
});

const contentTypes = fc.option(
  fc.oneof(
    nastyString,
    fc.constantFrom(
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
      'application/json; charset=utf-8',
    ),
  ),
  { nil: undefined },
);
const platforms = fc.constantFrom(
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
  { os: 'windows', architecture: 'amd64' },
  { os: 'unknown', architecture: 'unknown' },
);
const documents: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: mutatedFrom(manifests) },
  { weight: 1, arbitrary: junkJson },
);

/** Invariants every report must satisfy, whatever the input. */
function expectWellFormed(report: EligibilityReport): void {
  expect(['eligible', 'ineligible', 'needs-resolution']).toContain(report.verdict);
  for (const r of report.reasons) {
    expect(REASONS.has(r.code), `unknown reason ${r.code}`).toBe(true);
    expect(typeof r.message === 'string' && r.message.length > 0).toBe(true);
  }
  for (const w of report.warnings) {
    expect(WARNINGS.has(w.code), `unknown warning ${w.code}`).toBe(true);
    expect(typeof w.message === 'string' && w.message.length > 0).toBe(true);
  }
  const blocking = report.reasons.filter((r) => r.code !== 'INDEX_NEEDS_RESOLUTION');
  if (report.verdict === 'eligible') expect(report.reasons).toEqual([]);
  if (report.verdict === 'ineligible') expect(blocking.length).toBeGreaterThan(0);
  if (report.verdict === 'needs-resolution') {
    expect(blocking).toEqual([]);
    expect(report.reasons.map((r) => r.code)).toContain('INDEX_NEEDS_RESOLUTION');
  }
  if (report.platformDigest !== undefined) expect(typeof report.platformDigest).toBe('string');
}

guardProcessForFile();

describe('fuzz: manifest parser and judge (pure)', () => {
  it('the corpus has eligible images to mutate', () => {
    expect(manifests.length).toBeGreaterThan(50);
    expect(eligibleImages.length).toBeGreaterThan(5);
  });

  it(
    'never throws, always answers a well-formed report, and leaves its input untouched',
    () => {
      fc.assert(
        fc.property(documents, contentTypes, platforms, (document, contentType, platform) => {
          const before = JSON.stringify(document);
          const manifest: FetchedManifest =
            contentType === undefined ? { document } : { document, contentType };
          const report = judge({ manifest, platform });
          expectWellFormed(report);
          expect(JSON.stringify(document)).toBe(before);
          // Deterministic: the same input gives the same report.
          expect(judge({ manifest, platform })).toEqual(report);
        }),
        fuzzParameters(2_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'judges mutated index children handed in by digest without throwing',
    () => {
      const indexes = manifests.filter((f) => Array.isArray((f.value as { manifests?: unknown }).manifests));
      expect(indexes.length).toBeGreaterThan(5);
      const input = fc.tuple(mutatedFrom(indexes, 2), fc.array(documents, { minLength: 1, maxLength: 4 }));
      fc.assert(
        fc.property(input, ([index, children]) => {
          const entries = (index as { manifests?: unknown } | null)?.manifests;
          const digests = Array.isArray(entries)
            ? entries
                .map((e) => (e as { digest?: unknown } | null)?.digest)
                .filter((d) => typeof d === 'string')
            : [];
          const map = new Map<string, FetchedManifest>();
          digests.forEach((digest, i) =>
            map.set(digest, { document: children[i % children.length] ?? null }),
          );
          const input: JudgeInput = {
            manifest: { document: index },
            digest: 'sha256:' + 'f'.repeat(64),
            manifests: map,
          };
          expectWellFormed(judge(input));
        }),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'a duplicated layer always makes an eligible image ineligible with DUPLICATE_LAYER',
    () => {
      fc.assert(
        fc.property(fc.constantFrom(...eligibleImages), fc.nat(), fc.nat(), (file, pick, at) => {
          const doc = structuredClone(file.value) as { layers: Json[] };
          const layer = doc.layers[pick % doc.layers.length] as Json;
          doc.layers.splice(at % (doc.layers.length + 1), 0, structuredClone(layer));
          const report = judge({ manifest: { document: doc } });
          expect(report.verdict).toBe('ineligible');
          expect(report.reasons.map((r) => r.code)).toContain('DUPLICATE_LAYER');
        }),
        fuzzParameters(500),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'a well-known empty layer (or a size-0 one) always gives EMPTY_LAYER',
    () => {
      const empties = Object.values(EMPTY_DIGESTS);
      fc.assert(
        fc.property(
          fc.constantFrom(...eligibleImages),
          fc.nat(),
          fc.option(fc.constantFrom(...empties), { nil: undefined }),
          (file, at, emptyDigest) => {
            const doc = structuredClone(file.value) as { layers: Array<Record<string, Json>> };
            const template = doc.layers[0] as Record<string, Json>;
            const layer =
              emptyDigest === undefined
                ? { ...template, digest: 'sha256:' + '1'.repeat(64), size: 0 }
                : { ...template, digest: emptyDigest, size: 32 };
            doc.layers.splice(at % (doc.layers.length + 1), 0, layer);
            const report = judge({ manifest: { document: doc } });
            expect(report.verdict).toBe('ineligible');
            expect(report.reasons.map((r) => r.code)).toContain('EMPTY_LAYER');
          },
        ),
        fuzzParameters(500),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'schemaVersion 1 always gives SCHEMA1, whatever the media type says',
    () => {
      fc.assert(
        fc.property(fc.constantFrom(...eligibleImages), contentTypes, (file, contentType) => {
          const doc = { ...(file.value as Record<string, Json>), schemaVersion: 1 };
          const manifest: FetchedManifest =
            contentType === undefined ? { document: doc } : { document: doc, contentType };
          const report = judge({ manifest });
          expect(report.verdict).toBe('ineligible');
          expect(report.reasons.map((r) => r.code)).toContain('SCHEMA1');
        }),
        fuzzParameters(500),
      );
    },
    fuzzTimeoutMs(30_000),
  );
});

describe('fuzz: `streamgate check --manifest` (the CLI function, in-process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sg-fuzz-check-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'prints exactly the judge report as one JSON object and exits by verdict',
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(documents, async (document) => {
          const file = path.join(dir, `m${n++ % 8}.json`);
          writeFileSync(file, JSON.stringify(document));
          const out: string[] = [];
          const err: string[] = [];
          const status = await main(['check', '--manifest', file, '--json'], {
            out: (t) => out.push(t),
            err: (t) => err.push(t),
          });
          const expected = judge({ manifest: { document: JSON.parse(JSON.stringify(document)) as unknown } });
          expect(err).toEqual([]);
          expect(out).toHaveLength(1);
          expect(JSON.parse(out[0] as string)).toEqual(toCheckJson(expected));
          expect(status).toBe(exitStatusFor(expected.verdict));
        }),
        fuzzParameters(1_000),
      );
    },
    fuzzTimeoutMs(40_000),
  );

  it(
    'answers exit 2 with one stderr line for files that are not JSON',
    async () => {
      let n = 0;
      const notJson = fc
        .uint8Array({ minLength: 0, maxLength: 200 })
        .filter((bytes) => !parsesAsJson(Buffer.from(bytes).toString('utf8')));
      await fc.assert(
        fc.asyncProperty(notJson, async (bytes) => {
          const file = path.join(dir, `b${n++ % 8}.json`);
          writeFileSync(file, bytes);
          const out: string[] = [];
          const err: string[] = [];
          const status = await main(['check', '--manifest', file, '--json'], {
            out: (t) => out.push(t),
            err: (t) => err.push(t),
          });
          expect(status).toBe(2);
          expect(out).toEqual([]);
          expect(err).toHaveLength(1);
        }),
        fuzzParameters(300),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it('bin/streamgate agrees with the in-process path on a handful of mutated manifests', async () => {
    const run = promisify(execFile);
    const samples = fc.sample(mutatedFrom(manifests), { numRuns: 2, seed: 20260101 });
    samples.push('{not json' as unknown as Json);
    await Promise.all(
      samples.map(async (document, i) => {
        const file = path.join(dir, `spawn${i}.json`);
        const isRaw = typeof document === 'string' && document === '{not json';
        writeFileSync(file, isRaw ? document : JSON.stringify(document));
        const result = await run(
          process.execPath,
          [path.join(REPO_ROOT, 'bin/streamgate'), 'check', '--manifest', file, '--json'],
          {
            timeout: 20_000,
          },
        ).then(
          (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
          (e: { code?: number; stdout?: string; stderr?: string }) => ({
            code: e.code ?? -1,
            stdout: e.stdout ?? '',
            stderr: e.stderr ?? '',
          }),
        );
        if (isRaw) {
          expect(result.code).toBe(2);
          expect(result.stderr).toMatch(/not JSON/);
          return;
        }
        const expected = judge({ manifest: { document } });
        expect(JSON.parse(result.stdout)).toEqual(toCheckJson(expected));
        expect(result.code).toBe(exitStatusFor(expected.verdict));
      }),
    );
  }, 40_000);
});

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
