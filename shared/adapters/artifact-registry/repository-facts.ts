import '../../core/zod-locale.js';
import * as z from 'zod/mini';
import { StreamgateError } from '../../core/errors.js';
import type { RepositoryFacts } from '../../core/eligibility.js';
import type { ImageReference } from '../../core/image-reference.js';

/** Where an image lives in the Artifact Registry API. */
export interface ArtifactRegistryCoordinates {
  project: string;
  location: string;
  repository: string;
  image: string;
}

/**
 * The API coordinates of an Artifact Registry or gcr.io reference; undefined for other hosts.
 * For gcr.io the AR repository id is the host itself (`gcr.io`, `eu.gcr.io`, …).
 */
export function coordinatesOf(reference: ImageReference): ArtifactRegistryCoordinates | undefined {
  const info = reference.registry;
  if (info.kind === 'other') return undefined;
  const repository = info.kind === 'gcr' ? reference.host.toLowerCase() : info.repository;
  return { project: info.project, location: info.location, repository, image: info.image };
}

/** `projects/P/locations/L/repositories/R` */
export function repositoryName(at: ArtifactRegistryCoordinates): string {
  return `projects/${at.project}/locations/${at.location}/repositories/${at.repository}`;
}

const DigestSchema = z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/));

/**
 * `projects/P/locations/L/repositories/R/dockerImages/IMAGE@sha256:…`, with each '/' inside IMAGE
 * written as %2F. That encoding is UNVERIFIED against the real API (see docs/artifact-registry.md).
 *
 * @example dockerImageName({ project: 'p', location: 'us', repository: 'r', image: 'a/b' }, 'sha256:…')
 *          // 'projects/p/locations/us/repositories/r/dockerImages/a%2Fb@sha256:…'
 */
export function dockerImageName(at: ArtifactRegistryCoordinates, digest: string): string {
  if (!DigestSchema.safeParse(digest).success) {
    throw new StreamgateError('INVALID_IMAGE_REFERENCE', `"${digest}" is not a sha256 digest.`, {
      kind: 'permanent',
      details: { digest },
    });
  }
  return `${repositoryName(at)}/dockerImages/${at.image.split('/').join('%2F')}@${digest}`;
}

// google-gax decodes enums as their names; the numbers are accepted too in case a caller decodes differently.
const FORMAT_NUMBERS: Record<number, string> = {
  0: 'FORMAT_UNSPECIFIED',
  1: 'DOCKER',
  2: 'MAVEN',
  3: 'NPM',
  5: 'APT',
  6: 'YUM',
  8: 'PYTHON',
  9: 'KFP',
  10: 'GO',
  11: 'GENERIC',
  12: 'RUBY',
};
const MODE_NUMBERS: Record<number, string> = {
  0: 'MODE_UNSPECIFIED',
  1: 'STANDARD_REPOSITORY',
  2: 'VIRTUAL_REPOSITORY',
  3: 'REMOTE_REPOSITORY',
};
const MODES: Record<string, RepositoryFacts['mode']> = {
  STANDARD_REPOSITORY: 'STANDARD',
  REMOTE_REPOSITORY: 'REMOTE',
  VIRTUAL_REPOSITORY: 'VIRTUAL',
};

const enumName = (names: Record<number, string>) =>
  z.pipe(
    z.optional(z.nullable(z.union([z.string(), z.number()]))),
    z.transform((value: string | number | null | undefined) =>
      typeof value === 'number' ? (names[value] ?? `UNKNOWN_${value}`) : (value ?? undefined),
    ),
  );

/** The fields of `google.devtools.artifactregistry.v1.Repository` streamgate reads. */
const RepositorySchema = z.looseObject({
  format: enumName(FORMAT_NUMBERS),
  mode: enumName(MODE_NUMBERS),
  kmsKeyName: z.optional(z.nullable(z.string())),
});

/** The fields of `google.devtools.artifactregistry.v1.DockerImage` streamgate reads. */
const DockerImageSchema = z.looseObject({ mediaType: z.optional(z.nullable(z.string())) });

/** Maps a Repository message to facts. An empty string means "unset" in proto3, so it is dropped. */
export function toRepositoryFacts(repository: unknown): RepositoryFacts {
  const parsed = RepositorySchema.parse(repository);
  const facts: RepositoryFacts = {
    format: parsed.format || 'FORMAT_UNSPECIFIED',
    mode: (parsed.mode ? MODES[parsed.mode] : undefined) ?? 'UNSPECIFIED',
  };
  if (parsed.kmsKeyName) facts.kmsKeyName = parsed.kmsKeyName;
  return facts;
}

/** The manifest media type Artifact Registry recorded for an image, if any. */
export function imageMediaTypeOf(dockerImage: unknown): string | undefined {
  return DockerImageSchema.parse(dockerImage).mediaType || undefined;
}
