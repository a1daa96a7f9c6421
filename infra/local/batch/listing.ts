import { invalidArgument } from './rpc-error.js';

/** Largest page either List RPC returns, whatever the caller asks. */
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;

/**
 * One page of `items`. The page token is an opaque offset; a token that is not one of ours is
 * INVALID_ARGUMENT, as in the real API.
 */
export function pageOf<T>(
  items: readonly T[],
  pageSize: number,
  pageToken: string,
): { page: T[]; nextPageToken: string } {
  if (pageSize < 0) throw invalidArgument('page_size must not be negative.');
  const size = Math.min(pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, MAX_PAGE_SIZE);
  let start = 0;
  if (pageToken !== '') {
    const decoded = /^offset:(\d+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!decoded) throw invalidArgument(`page_token "${pageToken}" is not a token this service issued.`);
    start = Number(decoded[1]);
  }
  const page = items.slice(start, start + size);
  const end = start + page.length;
  const nextPageToken = end < items.length ? Buffer.from(`offset:${end}`, 'utf8').toString('base64url') : '';
  return { page, nextPageToken };
}

type Fields = Record<string, string>;
type Predicate = (fields: Fields) => boolean;

/** Tokens: parentheses, quoted strings, `=` / `!=`, and bare words (fields, values, AND, OR). */
const TOKEN = /\s*(\(|\)|!=|=|"[^"]*"|'[^']*'|[^\s()=!"']+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (text.slice(start).trim() === '') break;
      throw invalidArgument(`filter "${text}" cannot be parsed near "${text.slice(start).trim()}".`);
    }
    tokens.push(m[1]!);
  }
  return tokens;
}

const isKeyword = (token: string | undefined, word: string) => token?.toUpperCase() === word;

/**
 * A subset of the AIP-160 filter syntax (https://google.aip.dev/160): `field=value` and
 * `field!=value` comparisons, values optionally quoted, combined with AND, OR and parentheses.
 * As in AIP-160, OR binds tighter than AND (`a AND b OR c` is `a AND (b OR c)`). Field names are
 * case-insensitive.
 *
 * @example
 *   compileFilter('labels.team=ml AND (status.state="QUEUED" OR status.state="RUNNING")', ['status.state', 'labels.*'])
 */
export function compileFilter(filter: string, knownFields: readonly string[]): Predicate {
  const tokens = tokenize(filter.trim());
  if (tokens.length === 0) return () => true;
  let at = 0;
  const fail = (why: string): never => {
    throw invalidArgument(
      `filter "${filter}" is not supported: ${why}; use field=value joined by AND and OR.`,
    );
  };
  const comparison = (): Predicate => {
    const [field, op, raw] = [tokens[at], tokens[at + 1], tokens[at + 2]];
    if (field === undefined || (op !== '=' && op !== '!=') || raw === undefined || /^[()=!]/.test(raw))
      return fail(`expected a comparison at "${tokens.slice(at).join(' ')}"`);
    at += 3;
    const name = field.toLowerCase();
    const known = knownFields.some((k) => (k.endsWith('.*') ? name.startsWith(k.slice(0, -1)) : k === name));
    if (!known) fail(`field "${field}" is not one of ${knownFields.join(', ')}`);
    const value = /^["']/.test(raw) ? raw.slice(1, -1) : raw;
    return op === '=' ? (f) => f[name] === value : (f) => f[name] !== value;
  };
  const factor = (): Predicate => {
    if (tokens[at] !== '(') return comparison();
    at += 1;
    const inner = conjunction();
    if (tokens[at] !== ')') fail('a "(" is not closed');
    at += 1;
    return inner;
  };
  const disjunction = (): Predicate => {
    const parts = [factor()];
    while (isKeyword(tokens[at], 'OR')) {
      at += 1;
      parts.push(factor());
    }
    return parts.length === 1 ? parts[0]! : (f) => parts.some((p) => p(f));
  };
  const conjunction = (): Predicate => {
    const parts = [disjunction()];
    while (isKeyword(tokens[at], 'AND')) {
      at += 1;
      parts.push(disjunction());
    }
    return parts.length === 1 ? parts[0]! : (f) => parts.every((p) => p(f));
  };
  const predicate = conjunction();
  if (at < tokens.length) fail(`unexpected "${tokens[at]}"`);
  return predicate;
}
