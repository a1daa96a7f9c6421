import type * as z from 'zod/mini';
import {
  ImageIndexSchema,
  ImageManifestSchema,
  LooseDescriptorSchema,
  Schema1ManifestSchema,
  type LooseDescriptor,
} from './manifest-schemas.js';
import { INDEX_MEDIA_TYPES, MEDIA_TYPES, SCHEMA1_MEDIA_TYPES } from './media-types.js';

/** A manifest document as a registry served it. */
export interface FetchedManifest {
  /** The parsed JSON body. */
  document: unknown;
  /** The HTTP Content-Type, when known. */
  contentType?: string;
}

/** Where the media type came from: the document, the HTTP header, or the document's shape. */
type MediaTypeSource = 'declared' | 'content-type' | 'inferred';

interface ClassifiedBase {
  /** The media type the manifest has (declared or inferred). */
  mediaType?: string;
  mediaTypeSource?: MediaTypeSource;
  /** Structural problems, each one sentence; non-empty means MALFORMED. */
  problems: string[];
}

interface Schema1Classified extends ClassifiedBase {
  kind: 'schema1';
  signed: boolean;
  /** fsLayers blobSums (top layer first, as schema 1 lists them). */
  layers: LooseDescriptor[];
}
export interface ImageClassified extends ClassifiedBase {
  kind: 'image';
  format: 'docker' | 'oci';
  artifactType?: string;
  config?: LooseDescriptor;
  layers: LooseDescriptor[];
  hasSubject: boolean;
}
export interface IndexClassified extends ClassifiedBase {
  kind: 'index';
  format: 'docker' | 'oci';
  artifactType?: string;
  entries: LooseDescriptor[];
  hasSubject: boolean;
}
interface UnknownClassified extends ClassifiedBase {
  kind: 'unknown';
  layers: LooseDescriptor[];
}
interface MalformedClassified extends ClassifiedBase {
  kind: 'malformed';
}
export type ClassifiedManifest =
  Schema1Classified | ImageClassified | IndexClassified | UnknownClassified | MalformedClassified;

/** Content-Types that say nothing about the manifest format. */
const GENERIC_CONTENT_TYPES = ['application/json', 'application/octet-stream', 'text/plain', ''];

/**
 * Decides what kind of manifest a document is and reads it with the matching zod schema.
 * Order (as containers/image GuessMIMEType): `schemaVersion: 1` → declared `mediaType` →
 * Content-Type → has `manifests` → config.mediaType is the Docker config → Docker schema 2, else OCI.
 *
 * @example
 *   classifyManifest({ schemaVersion: 1, fsLayers: [], signatures: [] }).kind // 'schema1'
 */
export function classifyManifest(document: unknown, contentType?: string): ClassifiedManifest {
  if (!isRecord(document)) {
    return { kind: 'malformed', problems: ['The manifest is not a JSON object.'] };
  }
  // Schema 1 first, whatever any media type says: Batch rejects it in every spelling.
  if (document.schemaVersion === 1) return classifySchema1(document);

  const { mediaType, mediaTypeSource } = mediaTypeOf(document, contentType);
  if (mediaType === undefined) {
    return document.schemaVersion === 2
      ? {
          kind: 'malformed',
          problems: ['The manifest has schemaVersion 2 but neither `config` nor `manifests`.'],
        }
      : { kind: 'unknown', mediaTypeSource, problems: [], layers: looseList(document.layers) };
  }
  if (SCHEMA1_MEDIA_TYPES.includes(mediaType)) return classifySchema1(document, mediaType, mediaTypeSource);
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    const parsed = ImageIndexSchema.safeParse(document);
    return {
      kind: 'index',
      format: mediaType === MEDIA_TYPES.dockerList ? 'docker' : 'oci',
      mediaType,
      mediaTypeSource,
      ...optionalString('artifactType', document.artifactType),
      problems: parsed.success ? [] : describeIssues(parsed.error),
      entries: looseList(document.manifests),
      hasSubject: document.subject !== undefined,
    };
  }
  if (mediaType === MEDIA_TYPES.dockerManifest || mediaType === MEDIA_TYPES.ociManifest) {
    const parsed = ImageManifestSchema.safeParse(document);
    const config = LooseDescriptorSchema.safeParse(document.config);
    return {
      kind: 'image',
      format: mediaType === MEDIA_TYPES.dockerManifest ? 'docker' : 'oci',
      mediaType,
      mediaTypeSource,
      ...optionalString('artifactType', document.artifactType),
      ...(config.success ? { config: config.data } : {}),
      problems: parsed.success ? [] : describeIssues(parsed.error),
      layers: looseList(document.layers),
      hasSubject: document.subject !== undefined,
    };
  }
  return { kind: 'unknown', mediaType, mediaTypeSource, problems: [], layers: looseList(document.layers) };
}

/** The media type a document is read as, and where it came from: its field, the Content-Type, or its shape. */
function mediaTypeOf(
  document: Record<string, unknown>,
  contentType: string | undefined,
): { mediaType: string | undefined; mediaTypeSource: MediaTypeSource } {
  if (typeof document.mediaType === 'string') {
    return { mediaType: document.mediaType, mediaTypeSource: 'declared' };
  }
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (header !== undefined && !GENERIC_CONTENT_TYPES.includes(header)) {
    return { mediaType: header, mediaTypeSource: 'content-type' };
  }
  return { mediaType: inferMediaType(document), mediaTypeSource: 'inferred' };
}

function classifySchema1(
  document: Record<string, unknown>,
  declared?: string,
  source?: MediaTypeSource,
): Schema1Classified {
  const signed = 'signatures' in document;
  const parsed = Schema1ManifestSchema.safeParse(document);
  const fsLayers = Array.isArray(document.fsLayers) ? document.fsLayers : [];
  const layers = fsLayers
    .map((entry: unknown) =>
      isRecord(entry) && typeof entry.blobSum === 'string' ? { digest: entry.blobSum } : undefined,
    )
    .filter((entry): entry is LooseDescriptor => entry !== undefined);
  return {
    kind: 'schema1',
    signed,
    mediaType: declared ?? (signed ? MEDIA_TYPES.schema1Signed : MEDIA_TYPES.schema1),
    mediaTypeSource: source ?? (typeof document.mediaType === 'string' ? 'declared' : 'inferred'),
    problems: parsed.success ? [] : describeIssues(parsed.error),
    layers,
  };
}

function inferMediaType(document: Record<string, unknown>): string | undefined {
  if (Array.isArray(document.manifests)) return MEDIA_TYPES.ociIndex;
  if (isRecord(document.config)) {
    return document.config.mediaType === MEDIA_TYPES.dockerConfig
      ? MEDIA_TYPES.dockerManifest
      : MEDIA_TYPES.ociManifest;
  }
  return undefined;
}

/** Reads an array of descriptors leniently; anything that is not one is dropped (the strict parse reports it). */
function looseList(value: unknown): LooseDescriptor[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    const parsed = LooseDescriptorSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

function optionalString<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

/** zod issues as short sentences naming the JSON path. */
function describeIssues(error: z.core.$ZodError): string[] {
  return error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length === 0 ? 'the document' : `\`${issue.path.join('.')}\``;
    return `${where}: ${issue.message}`;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
