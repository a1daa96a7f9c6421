import './zod-locale.js';
import * as z from 'zod/mini';

/**
 * zod schemas of the manifest formats a registry can serve: Docker schema 1 (signed and unsigned),
 * Docker schema 2, Docker manifest list, OCI image manifest and OCI image index, plus the bits of
 * the image config that eligibility looks at. Objects are loose: unknown fields are allowed, as the
 * specs require.
 */

/** OCI digest grammar: algorithm ":" encoded. */
const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const DigestSchema = z.string().check(z.regex(DIGEST_PATTERN, 'not a valid digest (algorithm:hex)'));

const DescriptorPlatformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.optional(z.string()),
  'os.features': z.optional(z.array(z.string())),
  variant: z.optional(z.string()),
  features: z.optional(z.array(z.string())),
});

const DescriptorSchema = z.looseObject({
  mediaType: z.optional(z.string()),
  digest: DigestSchema,
  size: z.int().check(z.nonnegative()),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(z.record(z.string(), z.string())),
  platform: z.optional(DescriptorPlatformSchema),
  artifactType: z.optional(z.string()),
  data: z.optional(z.string()),
});

/** A descriptor read leniently (only a string digest is required), so broken manifests can still be judged. */
export const LooseDescriptorSchema = z.looseObject({
  mediaType: z.optional(z.string()),
  digest: z.string(),
  size: z.optional(z.number()),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(z.record(z.string(), z.string())),
  platform: z.optional(DescriptorPlatformSchema),
  artifactType: z.optional(z.string()),
});
export type LooseDescriptor = z.infer<typeof LooseDescriptorSchema>;

export const Schema1ManifestSchema = z.looseObject({
  schemaVersion: z.literal(1),
  name: z.optional(z.string()),
  tag: z.optional(z.string()),
  architecture: z.optional(z.string()),
  fsLayers: z.array(z.looseObject({ blobSum: DigestSchema })),
  history: z.optional(z.array(z.looseObject({ v1Compatibility: z.string() }))),
  signatures: z.optional(z.array(z.looseObject({}))),
});

/** Docker schema 2 and OCI image manifests share this shape. `layers: null` is judged as NO_LAYERS. */
export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: DescriptorSchema,
  layers: z.nullable(z.array(DescriptorSchema)),
  subject: z.optional(DescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});

/** Docker manifest list and OCI image index. */
export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  manifests: z.array(DescriptorSchema),
  subject: z.optional(DescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});

/** The parts of an image config blob that eligibility reads. */
export const ImageConfigSchema = z.looseObject({
  architecture: z.optional(z.string()),
  os: z.optional(z.string()),
  variant: z.optional(z.string()),
  rootfs: z.optional(
    z.looseObject({
      type: z.optional(z.string()),
      diff_ids: z.optional(z.array(z.string())),
    }),
  ),
  history: z.optional(z.array(z.looseObject({ empty_layer: z.optional(z.boolean()) }))),
});
