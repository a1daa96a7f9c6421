import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageReferenceError } from '../../../shared/core/errors.js';
import {
  formatImageReference,
  parseImageReference,
  pinToDigest,
  registryAuthority,
} from '../../../shared/core/image-reference.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  it('reads an Artifact Registry reference whose IMAGE contains slashes', () => {
    const ref = parseImageReference(`us-central1-docker.pkg.dev/demo-project/apps/web/api:v1.2@${DIGEST}`);
    expect(ref).toEqual({
      host: 'us-central1-docker.pkg.dev',
      path: 'demo-project/apps/web/api',
      tag: 'v1.2',
      digest: DIGEST,
      registry: {
        kind: 'artifact-registry',
        location: 'us-central1',
        project: 'demo-project',
        repository: 'apps',
        image: 'web/api',
      },
    });
  });

  it('recognises multi-region Artifact Registry hosts', () => {
    expect(parseImageReference('europe-docker.pkg.dev/p/r/i').registry).toMatchObject({ location: 'europe' });
  });

  it.each([
    ['gcr.io/p/app', 'us'],
    ['us.gcr.io/p/app', 'us'],
    ['eu.gcr.io/p/app', 'europe'],
    ['asia.gcr.io/p/team/app', 'asia'],
  ])('maps %s to the %s multi-region', (input, location) => {
    const ref = parseImageReference(input);
    expect(ref.registry).toMatchObject({ kind: 'gcr', location, project: 'p', repository: ref.host });
  });

  it('expands docker-style short names', () => {
    expect(parseImageReference('ubuntu')).toMatchObject({ host: 'docker.io', path: 'library/ubuntu' });
    expect(parseImageReference('library/ubuntu:22.04')).toMatchObject({
      host: 'docker.io',
      path: 'library/ubuntu',
      tag: '22.04',
      registry: { kind: 'other' },
    });
  });

  it('reads host ports and lower-cases the host', () => {
    const ref = parseImageReference('LocalHost:5000/team/app:latest');
    expect(ref).toMatchObject({ host: 'localhost', port: 5000, path: 'team/app', tag: 'latest' });
    expect(registryAuthority(ref)).toBe('localhost:5000');
    expect(formatImageReference(ref)).toBe('localhost:5000/team/app:latest');
  });

  it.each([
    ['', /empty/],
    ['us-docker.pkg.dev/p/r', /PROJECT\/REPOSITORY\/IMAGE/],
    ['gcr.io/p', /PROJECT\/IMAGE/],
    ['docker.io/Library/ubuntu', /path component "Library"/],
    ['ubuntu:bad tag', /whitespace/],
    ['ubuntu:.bad', /invalid tag/],
    ['ubuntu@sha256:abc', /64 lowercase hex/],
    ['ubuntu@md5:abcd', /not sha256/],
    ['host:99999/a', /invalid port/],
    ['a//b', /path component ""/],
    [`x.io/${'a'.repeat(260)}`, /longer than 255/],
  ])('rejects %j', (input, message) => {
    expect(() => parseImageReference(input)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(input)).toThrow(message);
  });
});

describe('pinToDigest', () => {
  it('drops the tag and keeps the registry facts', () => {
    const pinned = pinToDigest(parseImageReference('us-docker.pkg.dev/p/r/i:latest'), DIGEST);
    expect(formatImageReference(pinned)).toBe(`us-docker.pkg.dev/p/r/i@${DIGEST}`);
    expect(pinned.tag).toBeUndefined();
  });
});

const component = fc
  .stringMatching(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/, { size: 'small' })
  .filter((s) => s.length <= 30);
const host = fc.oneof(
  fc.constantFrom('gcr.io', 'eu.gcr.io', 'asia.gcr.io', 'us.gcr.io', 'quay.io', 'localhost', 'docker.io'),
  fc.constantFrom('us', 'europe', 'asia', 'us-central1', 'europe-west4').map((l) => `${l}-docker.pkg.dev`),
);
const reference = fc
  .record({
    host,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    path: fc.array(component, { minLength: 3, maxLength: 5 }),
    tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/), { nil: undefined }),
    digest: fc.option(
      fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`),
      { nil: undefined },
    ),
  })
  .map(
    ({ host, port, path, tag, digest }) =>
      `${host}${port === undefined ? '' : `:${port}`}/${path.join('/')}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`,
  )
  .filter((s) => s.split('@')[0]!.replace(/:[^/:]*$/, '').length <= 255);

const shortName = fc
  // A first component with a dot would be read as a registry host, as docker does.
  .record({
    path: fc.array(
      component.filter((c) => !c.includes('.')),
      { minLength: 1, maxLength: 2 },
    ),
    tag: fc.option(component, { nil: undefined }),
  })
  .map(({ path, tag }) => `${path.join('/')}${tag === undefined ? '' : `:${tag}`}`);

describe('reference properties', () => {
  it('parse(format(parse(x))) equals parse(x) for valid references', () => {
    fc.assert(
      fc.property(fc.oneof(reference, shortName), (input) => {
        const parsed = parseImageReference(input);
        expect(parseImageReference(formatImageReference(parsed))).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but ImageReferenceError on arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme-ascii' }),
          reference.map((r) => r.slice(1)),
        ),
        (input) => {
          try {
            parseImageReference(input);
          } catch (error) {
            expect(error).toBeInstanceOf(ImageReferenceError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
