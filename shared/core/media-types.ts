/**
 * Media types of manifests, configs and layers, and the well-known digests of empty content.
 */

export const MEDIA_TYPES = {
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/**
 * Value for the `Accept` header of a manifest GET. Schema 1 is listed last so a registry never
 * downgrades a newer manifest, but a schema 1 image is still served (and then reported) as such.
 */
export const MANIFEST_ACCEPT: string = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
  `${MEDIA_TYPES.schema1Signed};q=0.5`,
  `${MEDIA_TYPES.schema1};q=0.5`,
].join(', ');

export const SCHEMA1_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.schema1, MEDIA_TYPES.schema1Signed];
export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.dockerList, MEDIA_TYPES.ociIndex];
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.ociManifest,
];
export const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.dockerConfig, MEDIA_TYPES.ociConfig];

/** How a layer's bytes are stored, for the layer media types streaming can read. */
export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Filesystem layer types that can be streamed, with their compression. */
export const STREAMABLE_LAYER_TYPES: Readonly<Record<string, LayerCompression>> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
};

/** Layers whose blobs normally live outside the registry (Docker foreign, OCI non-distributable). */
export const FOREIGN_LAYER_TYPES: readonly string[] = [
  'application/vnd.docker.image.rootfs.foreign.diff.tar',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
];

/** True for types in the image-layer namespaces (known or not): an unknown one is an unsupported layer, not an artifact. */
export function isImageLayerNamespace(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.') ||
    mediaType.startsWith('application/vnd.docker.image.rootfs.')
  );
}

/** ocicrypt layer types end in `+encrypted`. */
export function isEncryptedLayerType(mediaType: string): boolean {
  return mediaType.endsWith('+encrypted');
}

/** Well-known digests of content that holds no files. */
export const EMPTY_DIGESTS = {
  gzipEmptyTar: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
  emptyTar: 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef',
  zeroBytes: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ociEmptyJson: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
} as const;

const EMPTY_DIGEST_NAMES: Readonly<Record<string, string>> = {
  [EMPTY_DIGESTS.gzipEmptyTar]: 'the gzip of an empty tar',
  [EMPTY_DIGESTS.emptyTar]: 'an empty tar',
  [EMPTY_DIGESTS.zeroBytes]: 'zero bytes',
  [EMPTY_DIGESTS.ociEmptyJson]: 'the OCI empty descriptor {}',
};

/** What a well-known empty digest holds, or undefined for any other digest. */
export function describeEmptyDigest(digest: string): string | undefined {
  return Object.hasOwn(EMPTY_DIGEST_NAMES, digest) ? EMPTY_DIGEST_NAMES[digest] : undefined;
}

/** 'docker' or 'oci' by namespace, for spotting mixed manifests. */
export function mediaTypeFamily(mediaType: string | undefined): 'docker' | 'oci' | undefined {
  if (mediaType === undefined) return undefined;
  if (mediaType.startsWith('application/vnd.docker.')) return 'docker';
  if (mediaType.startsWith('application/vnd.oci.')) return 'oci';
  return undefined;
}

/** Shortens a digest for messages: 'sha256:a3ed95ca…'. */
export function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 15)}…` : digest;
}
