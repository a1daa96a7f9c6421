/** The webhook's routes, matched on method and path only (no I/O). */

/**
 * A served route. `path` is its canonical form (`/jobs`, `/jobs:plan`, `/jobs/<jobId>`), the one a
 * signature covers: no query string, no trailing slash, no prefix added by a proxy.
 */
export type Route =
  | { kind: 'create'; path: '/jobs' }
  | { kind: 'plan'; path: '/jobs:plan' }
  | { kind: 'status'; path: string; jobId: string }
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'not-found' };

const STATUS_PATH = /^\/jobs\/([^/]{1,128})$/;

/**
 * Maps a request to a route. Trailing slashes are tolerated.
 *
 * @example
 *   matchRoute('POST', '/jobs:plan')          // { kind: 'plan', path: '/jobs:plan' }
 *   matchRoute('GET', '/jobs/sg-webhook-abc/') // { kind: 'status', path: '/jobs/sg-webhook-abc', jobId: 'sg-webhook-abc' }
 */
export function matchRoute(method: string, rawPath: string): Route {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  if (path === '/jobs' || path === '/jobs:plan') {
    if (method !== 'POST') return { kind: 'method-not-allowed', allow: 'POST' };
    return path === '/jobs' ? { kind: 'create', path } : { kind: 'plan', path };
  }
  const status = STATUS_PATH.exec(path);
  if (status?.[1] !== undefined) {
    if (method !== 'GET' && method !== 'HEAD') return { kind: 'method-not-allowed', allow: 'GET' };
    let jobId: string;
    try {
      jobId = decodeURIComponent(status[1]);
    } catch {
      return { kind: 'not-found' };
    }
    // Signed as the client names the job: `/jobs/<jobId>`, whatever %-escapes it was sent with.
    return { kind: 'status', path: `/jobs/${jobId}`, jobId };
  }
  return { kind: 'not-found' };
}
