import { quoteBounded } from '../bounds.js';
import type { ClassifiedManifest } from '../manifest.js';
import type { Findings } from './findings.js';

/** Container fields Batch honours when image streaming is on. */
const STREAMING_CONTAINER_FIELDS: readonly string[] = [
  'imageUri',
  'commands',
  'entrypoint',
  'volumes',
  'enableImageStreaming',
];

/** What Artifact Registry says about the repository and the image. */
export interface RepositoryFacts {
  /** Must be 'DOCKER'. */
  format: string;
  mode: 'STANDARD' | 'REMOTE' | 'VIRTUAL' | 'UNSPECIFIED';
  /** Set when the repository is encrypted with a customer-managed key (CMEK). */
  kmsKeyName?: string;
  /** DockerImage.mediaType, for the cross-check with the manifest. */
  imageMediaType?: string;
}

/**
 * No facts because a setting is missing rather than access: the adapter says which (`why`) and
 * how to supply it (`remedy`), so the warning does not send the user to IAM for nothing.
 */
export interface RepositoryFactsNotConfigured {
  notConfigured: { why: string; remedy: string };
}

/** What a facts source answers: the facts, `unavailable` (could not ask), or a missing setting. */
export type RepositoryFactsAnswer = RepositoryFacts | 'unavailable' | RepositoryFactsNotConfigured;

/** UNSUPPORTED_CONTAINER_FIELD. */
export function applyContainerFieldRule(fields: readonly string[], findings: Findings): void {
  const unsupported = [...new Set(fields.filter((field) => !STREAMING_CONTAINER_FIELDS.includes(field)))];
  if (unsupported.length === 0) return;
  findings.reason(
    'UNSUPPORTED_CONTAINER_FIELD',
    `With image streaming Batch silently ignores the container field${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}; remove ${unsupported.length > 1 ? 'them' : 'it'} (only imageUri, commands, entrypoint and volumes are honoured) or set streaming to off.`,
  );
}

/** Repository format, mode, CMEK and the media-type cross-check. */
export function applyRepositoryRules(
  facts: RepositoryFactsAnswer,
  root: ClassifiedManifest,
  findings: Findings,
): void {
  if (facts === 'unavailable') {
    findings.warn(
      'REPOSITORY_FACTS_UNAVAILABLE',
      'Artifact Registry could not be asked about the repository, so CMEK and remote/virtual repositories were not checked; grant the launcher roles/artifactregistry.reader to enable these checks.',
    );
    return;
  }
  if ('notConfigured' in facts) {
    const { why, remedy } = facts.notConfigured;
    findings.warn(
      'REPOSITORY_FACTS_UNAVAILABLE',
      `Artifact Registry was not asked about the repository because ${why}, so CMEK and remote/virtual repositories were not checked; ${remedy}.`,
    );
    return;
  }
  if (facts.format !== 'DOCKER') {
    findings.reason(
      'NOT_AN_IMAGE',
      `The repository has format ${quoteBounded(facts.format)}, not DOCKER, so it holds no container images; use an image from a Docker-format repository.`,
    );
  }
  if (facts.mode === 'REMOTE' || facts.mode === 'VIRTUAL') {
    findings.warn(
      'REMOTE_OR_VIRTUAL_REPOSITORY',
      `The repository is a ${facts.mode.toLowerCase()} repository, and Batch does not say it streams from those; if streaming fails, copy the image to a standard repository.`,
    );
  }
  if (facts.kmsKeyName !== undefined && facts.kmsKeyName !== '') {
    findings.warn(
      'CMEK_REPOSITORY',
      'The repository is encrypted with a customer-managed key, which GKE cannot stream (Batch does not say); if the job starts slowly, use a repository without CMEK.',
    );
  }
  if (
    facts.imageMediaType !== undefined &&
    facts.imageMediaType !== '' &&
    root.mediaType !== undefined &&
    facts.imageMediaType !== root.mediaType
  ) {
    findings.warn(
      'MEDIATYPE_MISMATCH',
      `Artifact Registry records the image as ${quoteBounded(facts.imageMediaType)} but the registry served ${quoteBounded(root.mediaType)}; check that the reference points at the image you meant.`,
    );
  }
}

/** API_DISABLED / API_STATUS_UNKNOWN for containerfilesystem.googleapis.com. */
export function applyApiRule(apiEnabled: boolean | 'unknown', findings: Findings): void {
  if (apiEnabled === false) {
    findings.reason(
      'API_DISABLED',
      'The Container File System API is not enabled in the job project; run `gcloud services enable containerfilesystem.googleapis.com` or set streaming to off.',
    );
  } else if (apiEnabled === 'unknown') {
    findings.warn(
      'API_STATUS_UNKNOWN',
      'Could not check whether containerfilesystem.googleapis.com is enabled; grant the launcher roles/serviceusage.serviceUsageViewer, or make sure the API is enabled.',
    );
  }
}
