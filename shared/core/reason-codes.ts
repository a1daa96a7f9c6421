/**
 * Every stable code streamgate reports. Codes are part of the public contract: they appear in
 * events, webhook problems, CLI output and logs, so they are never renamed.
 */

/** Why an image cannot be streamed (eligibility reasons). */
export const ELIGIBILITY_REASONS = [
  'NOT_ARTIFACT_REGISTRY',
  'LOCATION_MISMATCH',
  'REGION_NOT_SUPPORTED',
  'SCHEMA1',
  'EMPTY_LAYER',
  'DUPLICATE_LAYER',
  'UNSUPPORTED_CONTAINER_FIELD',
  'NOT_AN_IMAGE',
  'NO_MATCHING_PLATFORM',
  'INDEX_NEEDS_RESOLUTION',
  'FOREIGN_LAYER',
  'ENCRYPTED_LAYER',
  'UNSUPPORTED_LAYER_MEDIATYPE',
  'NO_LAYERS',
  'UNKNOWN_MEDIATYPE',
  'MALFORMED',
  'API_DISABLED',
  'MANIFEST_UNAVAILABLE',
] as const;
export type EligibilityReasonCode = (typeof ELIGIBILITY_REASONS)[number];

/** Non-blocking observations about an image. */
export const WARNING_CODES = [
  'ZSTD_LAYERS',
  'UNCOMPRESSED_LAYERS',
  'HAS_SUBJECT',
  'CMEK_REPOSITORY',
  'REMOTE_OR_VIRTUAL_REPOSITORY',
  'REPOSITORY_FACTS_UNAVAILABLE',
  'API_STATUS_UNKNOWN',
  'MEDIATYPE_MISMATCH',
  'LAYER_URLS',
  'NONSTANDARD_CONFIG_MEDIATYPE',
  'NO_MEDIATYPE_FIELD',
  'MIXED_MEDIATYPES',
  'NESTED_INDEX',
  'NO_PLATFORM_FIELDS',
  'DUPLICATE_PLATFORM_ENTRIES',
  'REFERENCE_ENTRIES_UNKNOWN_PLATFORM',
  'NONSTANDARD_CHILD_MEDIATYPE',
  'DESCRIPTOR_MEDIATYPE_MISMATCH',
  'NON_MANIFEST_ENTRY',
  'CHILD_IS_SCHEMA1',
  'ZSTD_VARIANTS',
  'STREAMING_DISABLED_BY_REQUEST',
  // Repair (`streamgate fix`, mode `repair`).
  'REPAIRED_IMAGE_UNSIGNED',
  'REPAIR_NOT_PERMITTED',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Why a request was refused before or instead of a launch. */
export const REQUEST_REASONS = [
  'INVALID_IMAGE_REFERENCE',
  'INVALID_REQUEST',
  'INVALID_ENVELOPE',
  'UNSUPPORTED_EVENT',
  'NO_MATCHING_RULE',
  'POLICY_REPOSITORY',
  'POLICY_REGION',
  'POLICY_MACHINE_TYPE',
  'POLICY_TASK_COUNT',
  'POLICY_PARALLELISM',
  'POLICY_RUN_DURATION',
  'POLICY_STREAMING_FALLBACK',
  'INELIGIBLE_IMAGE',
  // The idempotency key already names a different request (another fingerprint): use a new key.
  'IDEMPOTENCY_CONFLICT',
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'SIGNATURE_STALE',
  'SIGNATURE_SCHEME_OUTDATED',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_CONTENT_ENCODING',
  'REQUEST_TIMEOUT',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'IMAGE_NOT_FOUND',
  'REGISTRY_AUTH_FAILED',
  'DIGEST_MISMATCH',
  'BATCH_INVALID_ARGUMENT',
  'BATCH_PERMISSION_DENIED',
  'BATCH_UNAVAILABLE',
  /** A rule's or the policy's maxJobsInFlight is reached: retried later (Pub/Sub redelivers, 429). */
  'JOBS_IN_FLIGHT_LIMIT',
  'ARTIFACT_REGISTRY_UNAVAILABLE',
  'PUBLISH_FAILED',
  'CONFIG_INVALID',
  'FOREIGN_JOB',
  /** A notification claims a terminal state that GetJob does not show (yet): retried, never published. */
  'JOB_STATE_UNCONFIRMED',
  'INTERNAL',
] as const;
export type RequestReasonCode = (typeof REQUEST_REASONS)[number];

/** Why an image with only empty or duplicate layers still cannot be repaired. */
export const REPAIR_REASONS = ['REPAIR_UNSAFE_HARDLINK', 'REPAIR_LAYER_UNREADABLE'] as const;
type RepairReasonCode = (typeof REPAIR_REASONS)[number];

export type ReasonCode = EligibilityReasonCode | RequestReasonCode | RepairReasonCode;

/** A code and one sentence a person can act on. */
export interface Finding<C extends string = ReasonCode | WarningCode> {
  code: C;
  message: string;
}
