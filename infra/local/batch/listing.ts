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

interface Clause {
  field: string;
  negate: boolean;
  value: string;
}

const CLAUSE = /^([A-Za-z_][\w.-]*)\s*(!=|=)\s*(?:"([^"]*)"|'([^']*)'|(\S+))$/;

/**
 * A small subset of the AIP-160 filter syntax: `field=value` / `field!=value` clauses joined by
 * AND, values optionally quoted. Field names are case-insensitive.
 *
 * @example
 *   compileFilter('status.state="SUCCEEDED" AND labels.team=ml', ['name', 'status.state', 'labels.*'])
 */
export function compileFilter(
  filter: string,
  knownFields: readonly string[],
): (fields: Record<string, string>) => boolean {
  const text = filter.trim();
  if (text === '') return () => true;
  const clauses: Clause[] = text.split(/\s+AND\s+/i).map((part) => {
    const m = CLAUSE.exec(part.trim());
    if (!m) throw invalidArgument(`filter clause "${part}" is not supported; use field=value joined by AND.`);
    const field = m[1]!.toLowerCase();
    const known = knownFields.some((k) =>
      k.endsWith('.*') ? field.startsWith(k.slice(0, -1)) : k === field,
    );
    if (!known)
      throw invalidArgument(`filter field "${m[1]}" is not supported; use one of ${knownFields.join(', ')}.`);
    return { field, negate: m[2] === '!=', value: m[3] ?? m[4] ?? m[5] ?? '' };
  });
  return (fields) =>
    clauses.every((c) => {
      const equal = fields[c.field] === c.value;
      return c.negate ? !equal : equal;
    });
}
