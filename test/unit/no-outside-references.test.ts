/**
 * A fresh clone must stand on its own: no tracked file may point at the reference folder that sits
 * beside our own checkouts (its corpus, research notes, tools and design document), nor at the
 * documents that live there by name. Facts go to docs/platform-facts.md and test data to
 * test/fixtures/. Imports of the repository's own `shared/` source folder (`../../shared/core/…`)
 * are not references outside and are not matched.
 *
 * The names are assembled from parts, so that this file, too, holds no such reference and is
 * scanned like every other.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The folder beside the checkout, and the documents kept there. */
const BESIDE = ['..', 'shared'].join('/');
const FACTS = ['gcp', 'facts'].join('-');
const DESIGN = ['DESIGN', 'md'].join('.');

/** What points outside the repository; the folder preceded by a dot, word or slash is a deeper import. */
const OUTSIDE = [
  new RegExp(`(?<![.\\w/])${escapeRegExp(BESIDE)}/(corpus|research|tools|DESIGN)`),
  new RegExp(escapeRegExp(FACTS)),
  new RegExp(escapeRegExp(DESIGN)),
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Files whose content is not ours to rewrite: copied data (with its provenance) and the lockfile. */
const EXEMPT = [/^test\/fixtures\//, /^package-lock\.json$/];

/** `file:line: text` for every line of `text` that points outside the repository. */
function outsideReferences(file: string, text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, index) =>
      OUTSIDE.some((pattern) => pattern.test(line)) ? [`${file}:${index + 1}: ${line.trim()}`] : [],
    );
}

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && !EXEMPT.some((pattern) => pattern.test(file)));
}

describe('no references outside the repository', () => {
  it('finds none in any tracked file', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        return []; // deleted in the working tree, not yet committed
      }
      return outsideReferences(file, text);
    });
    expect(found).toEqual([]);
  });

  it('flags paths and names outside the repository', () => {
    const text = [
      `const corpus = path.resolve(root, '${BESIDE}/corpus');`,
      `see \`${BESIDE}/research/${FACTS}.md\` §4.3`,
      `regions (${FACTS} §4.3)`,
      `the product contract is ${DESIGN}`,
      `$ ${BESIDE}/tools/tf-schema-check infra/terraform`,
    ].join('\n');
    expect(outsideReferences('x.md', text).map((hit) => hit.split(':')[1])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
  });

  it("does not flag imports of the repository's own shared/ folder", () => {
    const text = [
      "import { judge } from '../../shared/core/eligibility.js';",
      "import { x } from '../shared/core/config.js';",
      'the corpus is in test/fixtures/corpus; facts in docs/platform-facts.md',
    ].join('\n');
    expect(outsideReferences('y.ts', text)).toEqual([]);
  });
});
