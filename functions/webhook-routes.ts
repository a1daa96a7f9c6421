/** The webhook's routes, matched on method and path only (no I/O). */

export type Route =
  | { kind: 'create' }
  | { kind: 'plan' }
  | { kind: 'status'; jobId: string }
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'not-found' };

const STATUS_PATH = /^\/jobs\/([^/]{1,128})$/;

/**
 * Maps a request to a route. Trailing slashes are tolerated.
 *
 * @example
 *   matchRoute('POST', '/jobs:plan')      // { kind: 'plan' }
 *   matchRoute('GET', '/jobs/sg-webhook-abc') // { kind: 'status', jobId: 'sg-webhook-abc' }
 */
export function matchRoute(method: string, rawPath: string): Route {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  if (path === '/jobs' || path === '/jobs:plan') {
    if (method !== 'POST') return { kind: 'method-not-allowed', allow: 'POST' };
    return path === '/jobs' ? { kind: 'create' } : { kind: 'plan' };
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
    return { kind: 'status', jobId };
  }
  return { kind: 'not-found' };
}
