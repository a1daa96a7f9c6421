import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { judge } from '../../shared/core/eligibility.js';
import type { FetchedManifest } from '../../shared/core/manifest.js';

/** The corpus of real manifests and their expected verdicts (test/fixtures/corpus/SOURCES.md). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.resolve(repoRoot, 'test/fixtures/corpus');

interface Expected {
  file: string;
  verdict: string;
  reasons: string[];
  warnings: string[];
  confidence: 'high' | 'medium' | 'low';
  linuxAmd64Candidates?: string[];
  afterResolution?: { digest: string; file: string | null; verdict: string; reasons: string[] };
}

/**
 * Where streamgate departs from expected.json, and why. Kept in step with docs/reason-codes.md ("Where we differ from expected.json").
 * Verdicts and reasons match everywhere; only warnings the offline view cannot see differ.
 */
const DEPARTURES: Record<string, { extraWarnings?: string[]; missingWarnings?: string[]; why: string }> = {
  'manifests/ggcr-layout-index-nested.json': {
    extraWarnings: ['NON_MANIFEST_ENTRY'],
    missingWarnings: ['DESCRIPTOR_MEDIATYPE_MISMATCH'],
    why:
      'Entry "2" is typed application/vnd.oci.descriptor.v1+json, which is not a manifest, so we say so. ' +
      'The descriptor/content mismatch of entry "1" can only be seen once the child is fetched; ' +
      'we report it then (checked below under afterResolution).',
  },
};

const expected = JSON.parse(readFileSync(path.join(corpus, 'expected.json'), 'utf8')) as Expected[];
const load = (file: string): unknown => JSON.parse(readFileSync(path.join(corpus, file), 'utf8'));
const sorted = (xs: string[]) => [...xs].sort();

describe('conformance with test/fixtures/corpus/expected.json', () => {
  it('has the 63 manifests the corpus describes', () => {
    expect(expected).toHaveLength(63);
  });

  it.each(expected.map((e) => [e.file, e] as const))('%s', (file, e) => {
    const report = judge({ manifest: { document: load(file) } });
    // Verdict and reason set must match for every confidence level (no departures needed).
    expect(report.verdict).toBe(e.verdict);
    expect(sorted(report.reasons.map((r) => r.code))).toEqual(sorted(e.reasons));

    const departure = DEPARTURES[file];
    const wanted = sorted([
      ...e.warnings.filter((w) => !(departure?.missingWarnings ?? []).includes(w)),
      ...(departure?.extraWarnings ?? []),
    ]);
    expect(sorted(report.warnings.map((w) => w.code))).toEqual(wanted);
    if (departure !== undefined) expect(e.confidence).not.toBe('high');

    if (e.verdict === 'needs-resolution') {
      // The entry that would be used is the first linux/amd64 candidate expected.json lists.
      expect(report.platformDigest).toBe(e.linuxAmd64Candidates?.[0]);
    }
    for (const finding of [...report.reasons, ...report.warnings]) {
      expect(finding.message).toMatch(/^[A-Z`].*[.]$/s);
    }
  });

  const resolvable = expected.filter((e) => e.afterResolution?.file);
  it.each(resolvable.map((e) => [e.file, e] as const))('%s after resolution', (file, e) => {
    const after = e.afterResolution!;
    const child: FetchedManifest = { document: load(after.file!) };
    const report = judge({ manifest: { document: load(file) }, manifests: new Map([[after.digest, child]]) });
    expect(report.platformDigest).toBe(after.digest);
    expect(report.verdict).toBe(after.verdict);
    expect(sorted(report.reasons.map((r) => r.code))).toEqual(sorted(after.reasons));
    if (file.includes('ggcr-layout-index-nested')) {
      expect(report.warnings.map((w) => w.code)).toContain('DESCRIPTOR_MEDIATYPE_MISMATCH');
    }
  });

  it('judges the schema 1 child of ci-v2list-schema1-children after resolution', () => {
    const e = expected.find((x) => x.file.endsWith('ci-v2list-schema1-children.json'))!;
    const child = { document: load('manifests/ci-v2s1-unsigned.json') };
    const report = judge({
      manifest: { document: load(e.file) },
      manifests: new Map([[e.afterResolution!.digest, child]]),
    });
    expect(report.verdict).toBe('ineligible');
    expect(report.reasons.map((r) => r.code)).toContain('SCHEMA1');
  });

  it('does not call notation-alpine-oci empty although its config has empty_layer history entries', () => {
    const report = judge({
      manifest: { document: load('manifests/notation-alpine-oci.json') },
      config: load('manifests/configs/notation-alpine-oci.config.json'),
    });
    expect(report).toMatchObject({ verdict: 'eligible', reasons: [] });
  });
});
