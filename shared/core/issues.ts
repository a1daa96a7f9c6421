import type * as z from 'zod/mini';

/**
 * Turns zod issues into one line each, `path: message`, so a bad request or config reports every
 * problem at once.
 *
 * @example formatIssues(error.issues) // ['policy.maxTaskCount: expected number, received string']
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}`);
}

/** `['rules', 0, 'name']` -> `rules[0].name`; the empty path is `(root)`. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
