/**
 * Structural copies of the contract types this adapter implements (docs/contracts.md).
 * Why local: `shared/core/eligibility.ts`, `shared/core/image-reference.ts` and
 * `shared/pipeline/ports.ts` are written in parallel; once they land these become re-exports.
 */
export interface RepositoryFacts {
  format: string;
  mode: 'STANDARD' | 'REMOTE' | 'VIRTUAL' | 'UNSPECIFIED';
  kmsKeyName?: string;
  imageMediaType?: string;
}

export type RegistryInfo =
  | { kind: 'artifact-registry'; location: string; project: string; repository: string; image: string }
  | { kind: 'gcr'; location: 'us' | 'europe' | 'asia'; project: string; repository: string; image: string }
  | { kind: 'other' };

/** The part of core's `ImageReference` this adapter reads. */
export interface ImageReferenceLike {
  host: string;
  registry: RegistryInfo;
}

export interface RepositoryFactsSource {
  facts(reference: ImageReferenceLike, digest: string): Promise<RepositoryFacts | 'unavailable'>;
  apiEnabled(project: string): Promise<boolean | 'unknown'>;
}
