/**
 * Tag listing of the registry stand-in: `GET /v2/<name>/tags/list?n=&last=` as the OCI
 * Distribution spec (v1.1, "Listing Tags") pages it.
 */

/** One page of tags, and the `Link` header value when more follow. */
export type TagPage = { tags: string[]; link?: string } | { invalid: string };

/**
 * Pages `all` (already in byte order): the tags after `last`, at most `n` of them. When more
 * remain, `link` is the spec's `<…?n=N&last=L>; rel="next"`. `n=0` is an empty page with no link.
 *
 * @example
 *   pageTags('p/r/app', ['v1', 'v2', 'v3'], new URLSearchParams('n=2'))
 *   // { tags: ['v1', 'v2'], link: '</v2/p/r/app/tags/list?n=2&last=v2>; rel="next"' }
 */
export function pageTags(name: string, all: readonly string[], query: URLSearchParams): TagPage {
  const last = query.get('last');
  const rawN = query.get('n');
  const after = last === null ? [...all] : all.filter((tag) => tag > last);
  if (rawN === null) return { tags: after };
  if (!/^\d{1,9}$/.test(rawN))
    return { invalid: `n must be a non-negative integer, got "${rawN.slice(0, 32)}"` };
  const n = Number(rawN);
  const tags = after.slice(0, n);
  const lastShown = tags.at(-1);
  if (n === 0 || after.length <= n || lastShown === undefined) return { tags };
  const next = new URLSearchParams({ n: String(n), last: lastShown });
  return { tags, link: `</v2/${name}/tags/list?${next.toString()}>; rel="next"` };
}
