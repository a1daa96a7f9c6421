import { quoteBounded } from '../bounds.js';
import type { ClassifiedManifest, ImageClassified } from '../manifest.js';
import { ImageConfigSchema, type LooseDescriptor } from '../manifest-schemas.js';
import {
  describeEmptyDigest,
  EMPTY_DIGESTS,
  FOREIGN_LAYER_TYPES,
  IMAGE_CONFIG_MEDIA_TYPES,
  isEncryptedLayerType,
  isImageLayerNamespace,
  mediaTypeFamily,
  shortDigest,
  STREAMABLE_LAYER_TYPES,
} from '../media-types.js';
import { type Findings, listPositions } from './findings.js';

/** A compressed tar this small cannot hold a file (docs/platform-facts.md); real layers start near 100 bytes. */
const EMPTY_COMPRESSED_LAYER_MAX_SIZE = 32;

const OFF = 'or set streaming to off';

/**
 * Rules for a single (non-index) manifest, in the order the corpus verdicts use: SCHEMA1 →
 * NOT_AN_IMAGE / UNKNOWN_MEDIATYPE / MALFORMED → NO_LAYERS → EMPTY_LAYER → DUPLICATE_LAYER →
 * FOREIGN / ENCRYPTED / UNSUPPORTED layer types. `config` is the image config blob, when known.
 */
export function applyManifestRules(manifest: ClassifiedManifest, config: unknown, findings: Findings): void {
  switch (manifest.kind) {
    case 'malformed':
      malformed(manifest.problems, findings);
      return;
    case 'schema1':
      findings.reason(
        'SCHEMA1',
        `The image uses Docker manifest v2 schema 1${manifest.signed ? ' (signed)' : ''}, which Batch cannot stream; rebuild and push it with a current Docker or BuildKit (schema 2 or OCI) ${OFF}.`,
      );
      malformed(manifest.problems, findings);
      if (manifest.layers.length === 0) noLayers(findings);
      layerContentRules(manifest.layers, undefined, findings);
      return;
    case 'unknown':
      findings.reason(
        'UNKNOWN_MEDIATYPE',
        `The manifest media type ${manifest.mediaType === undefined ? '(none)' : quoteBounded(JSON.stringify(manifest.mediaType))} is not a Docker or OCI image type; push the image with a standard tool ${OFF}.`,
      );
      layerContentRules(manifest.layers, undefined, findings);
      return;
    case 'image':
      imageRules(manifest, config, findings);
      return;
    case 'index':
      // Indexes are resolved by the caller; reaching here means a child turned out to be an index.
      return;
  }
}

function imageRules(manifest: ImageClassified, config: unknown, findings: Findings): void {
  const artifact = notAnImageCause(manifest);
  if (artifact !== undefined) {
    findings.reason(
      'NOT_AN_IMAGE',
      `${artifact}, so there is no container to run; point imageUri at the image itself.`,
    );
  }
  const problems = [...manifest.problems];
  manifest.layers.forEach((layer, i) => {
    if (layer.mediaType === undefined) problems.push(`layer ${i + 1} has no mediaType`);
  });
  const parsedConfig = config === undefined ? undefined : ImageConfigSchema.safeParse(config);
  if (parsedConfig?.success === false) problems.push('the image config blob is not a valid image config');
  malformed(problems, findings);
  if (manifest.layers.length === 0) noLayers(findings);
  layerContentRules(
    manifest.layers,
    parsedConfig?.success ? parsedConfig.data.rootfs?.diff_ids : undefined,
    findings,
  );
  if (artifact === undefined) layerTypeRules(manifest.layers, findings);
  imageWarnings(manifest, artifact === undefined, findings);
}

/** Why an image-shaped manifest is really an artifact, or undefined when it is an image. */
function notAnImageCause(manifest: ImageClassified): string | undefined {
  if (manifest.artifactType !== undefined && !IMAGE_CONFIG_MEDIA_TYPES.includes(manifest.artifactType)) {
    return `The manifest is an artifact of type ${quoteBounded(manifest.artifactType)}`;
  }
  const config = manifest.config;
  if (config?.digest === EMPTY_DIGESTS.ociEmptyJson)
    return 'The manifest has the empty descriptor {} as its config';
  const configType = config?.mediaType;
  if (
    configType !== undefined &&
    !IMAGE_CONFIG_MEDIA_TYPES.includes(configType) &&
    !isLooseDockerConfig(manifest)
  ) {
    return `The config type ${quoteBounded(configType)} is not an image config`;
  }
  const foreignType = manifest.layers.find(
    (layer) =>
      layer.mediaType !== undefined &&
      !isImageLayerNamespace(layer.mediaType) &&
      !isEncryptedLayerType(layer.mediaType),
  );
  if (foreignType !== undefined) {
    return `Layer type ${quoteBounded(foreignType.mediaType ?? '')} is not a filesystem layer`;
  }
  return undefined;
}

/** Old Docker tools wrote `application/octet-stream` configs into schema 2 manifests; still images. */
function isLooseDockerConfig(manifest: ImageClassified): boolean {
  return manifest.format === 'docker' && manifest.config?.mediaType === 'application/octet-stream';
}

function malformed(problems: string[], findings: Findings): void {
  if (problems.length === 0) return;
  findings.reason(
    'MALFORMED',
    `The manifest is malformed (${problems.slice(0, 3).join('; ')}); rebuild and push the image with a standard tool.`,
  );
}

function noLayers(findings: Findings): void {
  findings.reason(
    'NO_LAYERS',
    `The manifest has no layers, so there is nothing to stream or run; push a real image ${OFF}.`,
  );
}

/** EMPTY_LAYER and DUPLICATE_LAYER, from the manifest layers and (when given) the config's diff_ids. */
function layerContentRules(
  layers: LooseDescriptor[],
  diffIds: string[] | undefined,
  findings: Findings,
): void {
  const empty: number[] = [];
  let why = '';
  layers.forEach((layer, i) => {
    const cause = emptyCause(layer);
    if (cause === undefined) return;
    empty.push(i);
    why ||= `${listPositions([i])} (${shortDigest(layer.digest)}) is ${cause}`;
  });
  const emptyDiff = (diffIds ?? []).findIndex((id) => id === EMPTY_DIGESTS.emptyTar);
  if (empty.length > 0 || emptyDiff >= 0) {
    const first = why !== '' ? why : `the config's rootfs.diff_ids[${emptyDiff}] is the empty tar`;
    findings.reason(
      'EMPTY_LAYER',
      `${capitalise(first)}${empty.length > 1 ? ` (${listPositions(empty)} are empty)` : ''}; Batch cannot stream images with empty layers — rebuild without the empty layer (e.g. drop a \`WORKDIR\`/\`COPY\` of nothing) ${OFF}.`,
    );
  }
  const dup = firstDuplicate(layers.map((l) => l.digest)) ?? firstDuplicate(diffIds ?? []);
  if (dup !== undefined) {
    findings.reason(
      'DUPLICATE_LAYER',
      `Layer ${shortDigest(dup)} appears more than once; Batch cannot stream images with duplicate layers — rebuild so each layer is unique (e.g. squash repeated steps) ${OFF}.`,
    );
  }
}

/** Why a layer descriptor is known to hold no files (well-known empty digest, zero or tiny size), if it is. */
export function emptyCause(layer: LooseDescriptor): string | undefined {
  const known = describeEmptyDigest(layer.digest);
  if (known !== undefined) return known;
  if (layer.size === 0) return 'zero bytes long';
  const compression = layer.mediaType === undefined ? undefined : STREAMABLE_LAYER_TYPES[layer.mediaType];
  const compressed = compression === 'gzip' || compression === 'zstd';
  if (compressed && layer.size !== undefined && layer.size <= EMPTY_COMPRESSED_LAYER_MAX_SIZE) {
    return `a ${layer.size}-byte compressed tar, too small to hold a file`;
  }
  return undefined;
}

function firstDuplicate(values: string[]): string | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  return undefined;
}

/** FOREIGN_LAYER, ENCRYPTED_LAYER, UNSUPPORTED_LAYER_MEDIATYPE. */
function layerTypeRules(layers: LooseDescriptor[], findings: Findings): void {
  layers.forEach((layer, i) => {
    const type = layer.mediaType;
    if (type === undefined || Object.hasOwn(STREAMABLE_LAYER_TYPES, type)) return;
    const shown = quoteBounded(type);
    if (FOREIGN_LAYER_TYPES.includes(type)) {
      findings.reason(
        'FOREIGN_LAYER',
        `${capitalise(listPositions([i]))} is a foreign/non-distributable layer (${shown}) whose blob is not stored in Artifact Registry; rebuild from a base image with ordinary layers ${OFF}.`,
      );
    } else if (isEncryptedLayerType(type)) {
      findings.reason(
        'ENCRYPTED_LAYER',
        `${capitalise(listPositions([i]))} is encrypted (${shown}), and a streamed filesystem cannot decrypt it; push an unencrypted image ${OFF}.`,
      );
    } else {
      findings.reason(
        'UNSUPPORTED_LAYER_MEDIATYPE',
        `${capitalise(listPositions([i]))} has the unsupported layer type ${shown}; rebuild with tar, tar+gzip or tar+zstd layers ${OFF}.`,
      );
    }
  });
}

function imageWarnings(manifest: ImageClassified, isImage: boolean, findings: Findings): void {
  // An artifact's layers are not filesystems, so layer-format advice would only confuse.
  const layers = isImage ? manifest.layers : [];
  const compressions = layers.map((l) =>
    l.mediaType === undefined ? undefined : STREAMABLE_LAYER_TYPES[l.mediaType],
  );
  if (compressions.includes('zstd')) {
    findings.warn(
      'ZSTD_LAYERS',
      'Some layers are zstd-compressed, and Batch does not document zstd support for streaming; if the job cannot stream, push a gzip variant.',
    );
  }
  if (compressions.includes('none')) {
    findings.warn(
      'UNCOMPRESSED_LAYERS',
      'Some layers are uncompressed tars; they stream, but pushing gzip layers makes the image smaller to store and copy.',
    );
  }
  if (
    layers.some(
      (l) => l.urls !== undefined && l.urls.length > 0 && !FOREIGN_LAYER_TYPES.includes(l.mediaType ?? ''),
    )
  ) {
    findings.warn(
      'LAYER_URLS',
      'Some layers list alternate download URLs; streaming reads only the copy in Artifact Registry, so make sure every blob is pushed there.',
    );
  }
  if (isLooseDockerConfig(manifest)) {
    findings.warn(
      'NONSTANDARD_CONFIG_MEDIATYPE',
      'The config type is application/octet-stream instead of application/vnd.docker.container.image.v1+json; rebuild with a current tool if the runtime refuses it.',
    );
  }
  if (manifest.hasSubject) {
    findings.warn(
      'HAS_SUBJECT',
      'The manifest refers to another manifest (subject); this is fine for an image and needs no action.',
    );
  }
  if (manifest.mediaTypeSource === 'inferred') {
    findings.warn(
      'NO_MEDIATYPE_FIELD',
      `The manifest has no mediaType field, so it was read as ${manifest.mediaType ?? 'unknown'} from its content; set mediaType when pushing to remove the guesswork.`,
    );
  }
  if (manifest.mediaTypeSource === 'declared') {
    const family = mediaTypeFamily(manifest.mediaType);
    const others = [manifest.config?.mediaType, ...manifest.layers.map((l) => l.mediaType)].map(
      mediaTypeFamily,
    );
    if (family !== undefined && others.some((f) => f !== undefined && f !== family)) {
      findings.warn(
        'MIXED_MEDIATYPES',
        `The ${family === 'docker' ? 'Docker' : 'OCI'} manifest mixes in ${family === 'docker' ? 'OCI' : 'Docker'} config or layer types; some runtimes refuse such images, so rebuild with one format if the job fails to start.`,
      );
    }
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
