import { ImageReferenceError } from './errors.js';

/**
 * Image references (`host[:port]/path[:tag][@digest]`), validated with the grammar of
 * distribution/reference, and classified by where the registry keeps the image.
 */

type RegistryInfo =
  | { kind: 'artifact-registry'; location: string; project: string; repository: string; image: string }
  | { kind: 'gcr'; location: 'us' | 'europe' | 'asia'; project: string; repository: string; image: string }
  | { kind: 'other' };

export interface ImageReference {
  /** Lower-cased registry host without port, e.g. 'us-central1-docker.pkg.dev'. */
  host: string;
  port?: number;
  /** Repository path, e.g. 'demo-project/apps/web/api' (IMAGE may contain '/'). */
  path: string;
  tag?: string;
  /** 'sha256:<64 hex>' (or 'sha512:<128 hex>'). */
  digest?: string;
  registry: RegistryInfo;
}

const DOCKER_HUB = 'docker.io';
const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const HOST_LABEL = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };
const AR_HOST = /^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev$/;
const GCR_HOSTS: Record<string, 'us' | 'europe' | 'asia'> = {
  'gcr.io': 'us',
  'us.gcr.io': 'us',
  'eu.gcr.io': 'europe',
  'asia.gcr.io': 'asia',
};

/**
 * Parses an image reference. Docker-style short names are expanded the way `docker pull` does.
 *
 * @example
 *   parseImageReference('europe-west1-docker.pkg.dev/p/repo/tools/app:1.2').registry
 *   // { kind: 'artifact-registry', location: 'europe-west1', project: 'p', repository: 'repo', image: 'tools/app' }
 *   parseImageReference('ubuntu').path // 'library/ubuntu' (host 'docker.io')
 * @throws ImageReferenceError naming what is wrong.
 */
export function parseImageReference(input: string): ImageReference {
  const fail = (problem: string): never => {
    throw new ImageReferenceError(input, `Image reference ${JSON.stringify(input)} ${problem}.`);
  };
  if (typeof input !== 'string' || input.length === 0) fail('is empty');
  if (input !== input.trim() || /\s/.test(input)) fail('contains whitespace');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(digest, fail);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag))
      fail(`has an invalid tag ${JSON.stringify(tag)} (allowed: [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
  }
  if (rest.length === 0) fail('has no repository name');

  const { host, port, path } = splitHost(rest, fail);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      fail(
        `has an invalid path component ${JSON.stringify(component)} (use lowercase letters, digits and single separators . _ __ -)`,
      );
    }
  }
  const name = `${host}${port === undefined ? '' : `:${port}`}/${path}`;
  if (name.length > MAX_NAME_LENGTH) fail(`has a name longer than ${MAX_NAME_LENGTH} characters`);

  const ref: ImageReference = { host, path, registry: registryInfo(host, port, path, fail) };
  if (port !== undefined) ref.port = port;
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function validateDigest(digest: string, fail: (problem: string) => never): void {
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? '' : digest.slice(0, colon);
  const encoded = colon < 0 ? '' : digest.slice(colon + 1);
  const expected = DIGEST_LENGTH[algorithm];
  if (expected === undefined)
    fail(`has a digest that is not sha256:<64 hex> (got ${JSON.stringify(digest)})`);
  if (!new RegExp(`^[a-f0-9]{${expected}}$`).test(encoded)) {
    fail(`has a ${algorithm} digest that is not ${expected} lowercase hex characters`);
  }
}

function splitHost(
  name: string,
  fail: (problem: string) => never,
): { host: string; port?: number; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  // Same rule as distribution/reference: the first component is a host only if it looks like one.
  const looksLikeHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!looksLikeHost) {
    if (first !== first.toLowerCase()) fail('has uppercase letters in the repository name');
    return { host: DOCKER_HUB, path: slash < 0 ? `library/${name}` : name };
  }
  const path = name.slice(slash + 1);
  if (path.length === 0) fail('has a registry host but no repository path');
  const [hostPart = '', portPart, extra] = first.split(':');
  if (extra !== undefined) fail(`has an invalid registry host ${JSON.stringify(first)}`);
  const host = hostPart.toLowerCase();
  if (host.length === 0 || !host.split('.').every((label) => HOST_LABEL.test(label))) {
    fail(`has an invalid registry host ${JSON.stringify(first)}`);
  }
  if (portPart === undefined) return { host, path };
  const port = /^[0-9]{1,5}$/.test(portPart) ? Number(portPart) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(`has an invalid port ${JSON.stringify(portPart)}`);
  return { host, port, path };
}

function registryInfo(
  host: string,
  port: number | undefined,
  path: string,
  fail: (problem: string) => never,
): RegistryInfo {
  if (port !== undefined) return { kind: 'other' };
  const parts = path.split('/');
  const arMatch = AR_HOST.exec(host);
  if (arMatch?.[1] !== undefined) {
    const [project, repository, ...image] = parts;
    if (project === undefined || repository === undefined || image.length === 0) {
      fail('is an Artifact Registry reference without PROJECT/REPOSITORY/IMAGE');
    }
    return {
      kind: 'artifact-registry',
      location: arMatch[1],
      project: project as string,
      repository: repository as string,
      image: image.join('/'),
    };
  }
  const gcrLocation = GCR_HOSTS[host];
  if (gcrLocation !== undefined) {
    const [project, ...image] = parts;
    if (project === undefined || image.length === 0) fail('is a gcr.io reference without PROJECT/IMAGE');
    return {
      kind: 'gcr',
      location: gcrLocation,
      project: project as string,
      repository: host,
      image: image.join('/'),
    };
  }
  return { kind: 'other' };
}

/** Formats a reference as `host[:port]/path[:tag][@digest]` (Docker Hub names are written in full). */
export function formatImageReference(ref: ImageReference): string {
  return (
    registryAuthority(ref) +
    `/${ref.path}` +
    (ref.tag === undefined ? '' : `:${ref.tag}`) +
    (ref.digest === undefined ? '' : `@${ref.digest}`)
  );
}

/** The same image pinned to `digest`; the tag is dropped so the reference names exactly one manifest. */
export function pinToDigest(ref: ImageReference, digest: string): ImageReference {
  const pinned: ImageReference = { ...ref, digest };
  delete pinned.tag;
  return parseImageReference(formatImageReference(pinned));
}

/** `host[:port]`, the part a registry client connects to. */
export function registryAuthority(ref: ImageReference): string {
  return ref.port === undefined ? ref.host : `${ref.host}:${ref.port}`;
}
