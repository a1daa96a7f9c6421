import type { ArtifactRegistryStandIn } from './server.js';
import type { StandInDockerImage } from './model.js';

/** What the local stack knows about an image pushed into the OCI registry stand-in. */
export interface PushedImage {
  /** `LOCATION-docker.pkg.dev/P/R/IMAGE@sha256:…` or `gcr.io/P/IMAGE@sha256:…` */
  uri: string;
  /** Short tags (`v1`) or full references (`host/path:v1`). */
  tags?: string[];
  mediaType: string;
  imageSizeBytes?: number;
  uploadTime?: Date;
}

const GCR_LOCATIONS: Record<string, string> = {
  'gcr.io': 'us',
  'us.gcr.io': 'us',
  'eu.gcr.io': 'europe',
  'asia.gcr.io': 'asia',
};
const AR_HOST = /^([a-z0-9-]+)-docker\.pkg\.dev$/;
const DIGEST_URI = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/;

/**
 * The repository and DockerImage Artifact Registry would list for a pushed image.
 *
 * @example
 *   dockerImageFromPush({ uri: 'us-docker.pkg.dev/p/r/a/b@sha256:…', mediaType })
 *   // { repository: 'projects/p/locations/us/repositories/r', image: { name: '…/dockerImages/a%2Fb@sha256:…', … } }
 */
export function dockerImageFromPush(push: PushedImage): { repository: string; image: StandInDockerImage } {
  const match = DIGEST_URI.exec(push.uri);
  if (!match) throw new Error(`Expected host/path@sha256:<digest>, got ${push.uri}`);
  const [, rawHost, path, digest] = match as unknown as [string, string, string, string];
  const host = rawHost.toLowerCase();
  const parts = path.split('/');
  let project: string | undefined;
  let location: string | undefined;
  let repositoryId: string | undefined;
  let image: string[];
  const arHost = AR_HOST.exec(host);
  if (arHost) {
    [project, repositoryId, ...image] = parts;
    location = arHost[1];
  } else if (GCR_LOCATIONS[host]) {
    [project, ...image] = parts;
    location = GCR_LOCATIONS[host];
    repositoryId = host;
  } else {
    throw new Error(`${host} is not an Artifact Registry host`);
  }
  if (!project || !repositoryId || image.length === 0)
    throw new Error(`${push.uri} has no PROJECT/REPOSITORY/IMAGE path`);
  const repository = `projects/${project}/locations/${location}/repositories/${repositoryId}`;
  return {
    repository,
    image: {
      name: `${repository}/dockerImages/${image.join('%2F')}@${digest}`,
      uri: push.uri,
      tags: (push.tags ?? []).map(shortTag),
      mediaType: push.mediaType,
      ...(push.imageSizeBytes === undefined ? {} : { imageSizeBytes: push.imageSizeBytes }),
      uploadTime: push.uploadTime ?? new Date(),
    },
  };
}

/**
 * Mirrors a push into the stand-in, as Artifact Registry indexes pushes: creates the repository
 * (STANDARD, DOCKER) when missing and merges tags when the digest is already known.
 */
export function mirrorPush(standIn: ArtifactRegistryStandIn, push: PushedImage): StandInDockerImage {
  const { repository, image } = dockerImageFromPush(push);
  if (!standIn.hasRepository(repository))
    standIn.addRepository({ name: repository, format: 'DOCKER', mode: 'STANDARD_REPOSITORY' });
  const known = standIn.getDockerImage(image.name);
  const merged: StandInDockerImage = known
    ? { ...known, tags: [...new Set([...(known.tags ?? []), ...(image.tags ?? [])])] }
    : image;
  standIn.addDockerImage(merged);
  return merged;
}

/** What a registry DELETE removed: a manifest with all its tags, or one tag. */
export interface DeletedImage {
  deleted: 'manifest' | 'tag';
  /** `host/path@sha256:…` of the manifest (for a tag, the one it named). */
  uri: string;
  /** Full tagged references removed. */
  tags: string[];
}

/** The `gcr` message Artifact Registry publishes for a deletion (docs/platform-facts.md). */
export interface DeleteNotification {
  action: 'DELETE';
  digest?: string;
  tag?: string;
}

/**
 * Mirrors a DELETE into the stand-in, as Artifact Registry forgets the image or drops the tag, and
 * returns the `gcr` message for it: the digest for a deleted manifest, the tag alone for an untag.
 * Hosts that are not Artifact Registry have nothing to mirror; the message is still returned.
 *
 * @example
 *   mirrorDelete(ar, { deleted: 'tag', uri: 'us-docker.pkg.dev/p/r/app@sha256:…', tags: ['us-docker.pkg.dev/p/r/app:v1'] })
 *   // { action: 'DELETE', tag: 'us-docker.pkg.dev/p/r/app:v1' }
 */
export function mirrorDelete(standIn: ArtifactRegistryStandIn, removed: DeletedImage): DeleteNotification {
  const tag = removed.tags[0];
  const notification: DeleteNotification =
    removed.deleted === 'tag' && tag !== undefined
      ? { action: 'DELETE', tag }
      : { action: 'DELETE', digest: removed.uri };
  let name: string;
  try {
    name = dockerImageFromPush({ uri: removed.uri, mediaType: '' }).image.name;
  } catch {
    return notification;
  }
  const known = standIn.getDockerImage(name);
  if (removed.deleted === 'manifest') standIn.removeDockerImage(name);
  else if (known) {
    const gone = new Set(removed.tags.map(shortTag));
    standIn.addDockerImage({ ...known, tags: (known.tags ?? []).filter((t) => !gone.has(t)) });
  }
  return notification;
}

/** Sum of the config and layer sizes a manifest declares (what AR reports as imageSizeBytes). */
export function imageSizeFromManifest(manifest: unknown): number {
  const doc = manifest as { config?: { size?: unknown }; layers?: Array<{ size?: unknown }> } | null;
  const size = (value: unknown): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
  return (
    size(doc?.config?.size) +
    (Array.isArray(doc?.layers) ? doc.layers.reduce((sum, l) => sum + size(l?.size), 0) : 0)
  );
}

function shortTag(tag: string): string {
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > slash ? tag.slice(colon + 1) : tag;
}
