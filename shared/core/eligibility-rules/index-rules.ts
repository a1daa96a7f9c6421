import { quoteBounded } from '../bounds.js';
import {
  hasZstdAnnotation,
  indexCandidates,
  isIndexDescriptor,
  isManifestLikeDescriptor,
} from '../index-resolution.js';
import type { ClassifiedManifest, IndexClassified } from '../manifest.js';
import {
  IMAGE_CONFIG_MEDIA_TYPES,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  mediaTypeFamily,
  SCHEMA1_MEDIA_TYPES,
} from '../media-types.js';
import { formatPlatform, type Platform } from '../platform.js';
import type { Findings } from './findings.js';

/** Rules on the index document itself (not on the chosen child): NOT_AN_IMAGE, MALFORMED, and warnings. */
export function applyIndexRules(index: IndexClassified, platform: Platform, findings: Findings): void {
  const artifactIndex =
    index.artifactType !== undefined && !IMAGE_CONFIG_MEDIA_TYPES.includes(index.artifactType);
  if (artifactIndex) {
    findings.reason(
      'NOT_AN_IMAGE',
      `The index is an artifact of type ${quoteBounded(index.artifactType ?? '')}, not a multi-platform image; point imageUri at an image.`,
    );
  }
  if (index.problems.length > 0) {
    findings.reason(
      'MALFORMED',
      `The index is malformed (${index.problems.slice(0, 3).join('; ')}); rebuild and push it with a standard tool.`,
    );
  }
  warnAboutEntries(index, platform, artifactIndex, findings);
  warnAboutMediaTypes(index, findings);
}

/** Warnings on the entries: what was skipped, and how the entry for `platform` was chosen. */
function warnAboutEntries(
  index: IndexClassified,
  platform: Platform,
  artifactIndex: boolean,
  findings: Findings,
): void {
  const candidates = indexCandidates(index, platform);
  const entries = index.entries;
  if (candidates.references.length > 0) {
    findings.warn(
      'REFERENCE_ENTRIES_UNKNOWN_PLATFORM',
      'The index lists unknown/unknown entries (attestations or build references); they were skipped and need no action.',
    );
  }
  if (entries.some(isIndexDescriptor)) {
    findings.warn(
      'NESTED_INDEX',
      'The index contains nested indexes; they were searched for the wanted platform, no action needed.',
    );
  }
  if (candidates.nonManifests.length > 0) {
    findings.warn(
      'NON_MANIFEST_ENTRY',
      'The index lists entries that are not manifests; they were ignored, no action needed.',
    );
  }
  if (!artifactIndex && entries.length > 0 && entries.every((e) => e.platform === undefined)) {
    findings.warn(
      'NO_PLATFORM_FIELDS',
      'No index entry declares a platform, so the first usable entry is taken; add platforms to the index to make the choice explicit.',
    );
  }
  if (candidates.matching.length > 1) {
    findings.warn(
      'DUPLICATE_PLATFORM_ENTRIES',
      `The index has ${candidates.matching.length} entries for ${formatPlatform(platform)}; the first non-zstd one is used, so remove the extras if that is not the one you want.`,
    );
  }
  if (entries.some(hasZstdAnnotation)) {
    findings.warn(
      'ZSTD_VARIANTS',
      'The index has zstd variants of some platforms; the gzip variant is preferred, no action needed.',
    );
  }
}

/** Warnings on the media types of the index and of its entries. */
function warnAboutMediaTypes(index: IndexClassified, findings: Findings): void {
  const entries = index.entries;
  if (entries.some((e) => e.mediaType !== undefined && SCHEMA1_MEDIA_TYPES.includes(e.mediaType))) {
    findings.warn(
      'CHILD_IS_SCHEMA1',
      'The index points at schema 1 manifests, which Batch cannot stream; rebuild the platform images with a current tool.',
    );
  }
  if (entries.some((e) => e.mediaType !== undefined && isManifestLikeDescriptor(e) && !known(e.mediaType))) {
    findings.warn(
      'NONSTANDARD_CHILD_MEDIATYPE',
      'Index entries use a non-standard manifest media type; each child is judged by its own content, so no action is needed unless pulls fail.',
    );
  }
  if (index.mediaTypeSource === 'inferred') {
    findings.warn(
      'NO_MEDIATYPE_FIELD',
      'The index has no mediaType field, so it was recognised by its `manifests` list; set mediaType when pushing to remove the guesswork.',
    );
  }
  if (index.hasSubject) {
    findings.warn('HAS_SUBJECT', 'The index refers to another manifest (subject); this needs no action.');
  }
  const family = index.mediaTypeSource === 'declared' ? mediaTypeFamily(index.mediaType) : undefined;
  const childFamilies = entries.filter(isManifestLikeDescriptor).map((e) => mediaTypeFamily(e.mediaType));
  if (family !== undefined && childFamilies.some((f) => f !== undefined && f !== family)) {
    findings.warn(
      'MIXED_MEDIATYPES',
      'The index mixes Docker and OCI media types; most runtimes accept this, but rebuild with one format if pulls fail.',
    );
  }
}

/** DESCRIPTOR_MEDIATYPE_MISMATCH: the chosen child's content is not what its descriptor declared. */
export function checkDescriptorMatchesChild(
  declaredType: string | undefined,
  child: ClassifiedManifest,
  findings: Findings,
): void {
  if (declaredType === undefined || child.mediaType === undefined || declaredType === child.mediaType) return;
  if (!known(declaredType)) return; // NONSTANDARD_CHILD_MEDIATYPE already covers made-up types.
  findings.warn(
    'DESCRIPTOR_MEDIATYPE_MISMATCH',
    `The index declares the chosen child as ${declaredType} but it is ${quoteBounded(child.mediaType)}; it was judged by its content, so fix the index only if other tools trip over it.`,
  );
}

function known(type: string): boolean {
  return [...INDEX_MEDIA_TYPES, ...IMAGE_MANIFEST_MEDIA_TYPES, ...SCHEMA1_MEDIA_TYPES].includes(type);
}
