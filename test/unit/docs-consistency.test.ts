/**
 * The docs and the code name the same codes: every reason code in shared/core/reason-codes.ts is
 * documented in docs/reason-codes.md, every code a table there documents exists, and every problem
 * type the webhook can answer with is listed in docs/webhook.md (and no other).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ELIGIBILITY_REASONS,
  REPAIR_REASONS,
  REQUEST_REASONS,
  WARNING_CODES,
} from '../../shared/core/reason-codes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

const ALL_CODES: readonly string[] = [
  ...ELIGIBILITY_REASONS,
  ...WARNING_CODES,
  ...REQUEST_REASONS,
  ...REPAIR_REASONS,
];

/**
 * Codes that are never a webhook problem's `type`: the event functions' own codes, and eligibility
 * reasons and warnings, which only appear inside `reasons` and the `eligibility` report. Every
 * other code must have its problem type documented.
 */
const NOT_PROBLEM_TYPES: readonly string[] = [
  'INVALID_ENVELOPE',
  'UNSUPPORTED_EVENT',
  'NO_MATCHING_RULE',
  'FOREIGN_JOB',
  'JOB_STATE_UNCONFIRMED',
  ...WARNING_CODES,
  // Repair refusals appear in `streamgate fix` output and logs, never as a webhook answer.
  ...REPAIR_REASONS,
  ...ELIGIBILITY_REASONS.filter(
    (code) =>
      ![
        'NOT_AN_IMAGE',
        'NO_MATCHING_PLATFORM',
        'REGION_NOT_SUPPORTED',
        'LOCATION_MISMATCH',
        'MANIFEST_UNAVAILABLE',
      ].includes(code),
  ),
];

/** `urn:streamgate:problem:<code in kebab case>`, as functions/problem.ts builds it. */
function problemType(code: string): string {
  return `urn:streamgate:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Codes whose backquoted name does not appear in `doc`. */
function undocumented(codes: readonly string[], doc: string): string[] {
  return codes.filter((code) => !doc.includes(`\`${code}\``));
}

/** The UPPER_SNAKE codes named in the first cell of the doc's table rows. */
function tableCodes(doc: string): string[] {
  return doc
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [
      ...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z][A-Z0-9]+)`/g),
    ])
    .map((match) => match[1] as string);
}

/** The codes behind every `urn:streamgate:problem:…` in `doc`. */
function documentedProblemCodes(doc: string): string[] {
  return [...doc.matchAll(/urn:streamgate:problem:([a-z0-9-]+)/g)].map((m) =>
    (m[1] as string).toUpperCase().replace(/-/g, '_'),
  );
}

describe('docs/reason-codes.md and shared/core/reason-codes.ts', () => {
  const doc = read('docs/reason-codes.md');

  it('documents every code in the code', () => {
    expect(undocumented(ALL_CODES, doc)).toEqual([]);
  });

  it('documents no code the code does not have', () => {
    const documented = tableCodes(doc);
    expect(documented.length).toBeGreaterThan(60);
    expect(documented.filter((code) => !ALL_CODES.includes(code))).toEqual([]);
  });

  it('catches an invented code in either direction', () => {
    expect(undocumented([...ALL_CODES, 'INVENTED_CODE'], doc)).toEqual(['INVENTED_CODE']);
    const withInvented = `${doc}\n| \`INVENTED_CODE\` | never | nothing |\n`;
    expect(tableCodes(withInvented).filter((code) => !ALL_CODES.includes(code))).toEqual(['INVENTED_CODE']);
  });
});

describe('problem types in docs/webhook.md', () => {
  const doc = read('docs/webhook.md');
  const everyDoc = ['README.md', 'docs/webhook.md', 'docs/reason-codes.md', 'docs/events.md']
    .map(read)
    .join('\n');

  it('lists the problem type of every code the webhook can answer with', () => {
    const webhookCodes = ALL_CODES.filter((code) => !NOT_PROBLEM_TYPES.includes(code));
    expect(webhookCodes.filter((code) => !doc.includes(problemType(code)))).toEqual([]);
  });

  it('names only problem types of real codes, in every doc', () => {
    expect(documentedProblemCodes(everyDoc).filter((code) => !ALL_CODES.includes(code))).toEqual([]);
  });

  it('keeps its exceptions real codes', () => {
    expect(NOT_PROBLEM_TYPES.filter((code) => !ALL_CODES.includes(code))).toEqual([]);
  });

  it('catches an invented problem type', () => {
    expect(documentedProblemCodes('see urn:streamgate:problem:invented-code')).toEqual(['INVENTED_CODE']);
    expect(problemType('POLICY_REGION')).toBe('urn:streamgate:problem:policy-region');
  });
});
