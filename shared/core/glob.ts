/**
 * Globs over `/`-separated names such as `host/path` image repositories or machine types:
 * - `*` matches any run of characters inside one segment (never `/`);
 * - `**` matches across segments (any run, `/` included); a whole `**` segment also matches
 *   zero segments, so `x/**` followed by `/y` matches `x/y`.
 * Every other character is literal, so `.` in `pkg.dev` means a dot.
 *
 * @example
 *   globMatches('us-docker.pkg.dev/my-proj/**', 'us-docker.pkg.dev/my-proj/apps/web') // true
 *   globMatches('n2-*', 'n2-standard-4')                                             // true
 */
export function compileGlob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length;) {
    if (pattern.startsWith('**/', i) && (i === 0 || pattern[i - 1] === '/')) {
      source += '(?:.*/)?';
      i += 3;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 2;
    } else if (pattern[i] === '*') {
      source += '[^/]*';
      i += 1;
    } else {
      source += escapeRegExp(pattern[i] as string);
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}

/** True when `text` matches the glob `pattern` as a whole. */
export function globMatches(pattern: string, text: string): boolean {
  return compileGlob(pattern).test(text);
}

/** True when `text` matches at least one of `patterns`. */
export function matchesAny(patterns: readonly string[], text: string): boolean {
  return patterns.some((pattern) => globMatches(pattern, text));
}

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}
