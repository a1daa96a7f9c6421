/**
 * The contract types this adapter implements (docs/contracts.md). `RepositoryFactsSource` is
 * restated here because adapters may not import `shared/pipeline`; it has the same shape as the
 * port in `shared/pipeline/ports.ts`, so the adapter satisfies it structurally.
 */
import type { RepositoryFacts } from '../../core/eligibility.js';
import type { ImageReference } from '../../core/image-reference.js';

export type { RepositoryFacts, ImageReference };

export interface RepositoryFactsSource {
  facts(reference: ImageReference, digest: string): Promise<RepositoryFacts | 'unavailable'>;
  apiEnabled(project: string): Promise<boolean | 'unknown'>;
}
