import * as z from 'zod';

/**
 * zod schemas of the manifest formats a registry can serve: Docker schema 1 (signed and unsigned),
 * Docker schema 2, Docker manifest list, OCI image manifest and OCI image index, plus the bits of
 * the image config that eligibility looks at. Objects are loose: unknown fields are allowed, as the
 * specs require.
 */

/** OCI digest grammar: algorithm ":" encoded. */
const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const DigestSchema = z.string().regex(DIGEST_PATTERN, 'not a valid digest (algorithm:hex)');

const DescriptorPlatformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

const DescriptorSchema = z.looseObject({
  mediaType: z.string().optional(),
  digest: DigestSchema,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: DescriptorPlatformSchema.optional(),
  artifactType: z.string().optional(),
  data: z.string().optional(),
});

/** A descriptor read leniently (only a string digest is required), so broken manifests can still be judged. */
export const LooseDescriptorSchema = z.looseObject({
  mediaType: z.string().optional(),
  digest: z.string(),
  size: z.number().optional(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: DescriptorPlatformSchema.optional(),
  artifactType: z.string().optional(),
});
export type LooseDescriptor = z.infer<typeof LooseDescriptorSchema>;

export const Schema1ManifestSchema = z.looseObject({
  schemaVersion: z.literal(1),
  name: z.string().optional(),
  tag: z.string().optional(),
  architecture: z.string().optional(),
  fsLayers: z.array(z.looseObject({ blobSum: DigestSchema })),
  history: z.array(z.looseObject({ v1Compatibility: z.string() })).optional(),
  signatures: z.array(z.looseObject({})).optional(),
});

/** Docker schema 2 and OCI image manifests share this shape. `layers: null` is judged as NO_LAYERS. */
export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema).nullable(),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** Docker manifest list and OCI image index. */
export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** The parts of an image config blob that eligibility reads. */
export const ImageConfigSchema = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  rootfs: z
    .looseObject({
      type: z.string().optional(),
      diff_ids: z.array(z.string()).optional(),
    })
    .optional(),
  history: z.array(z.looseObject({ empty_layer: z.boolean().optional() })).optional(),
});
