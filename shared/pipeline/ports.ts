/** The ports the pipeline reads images and repository facts through (declared in the core). */
export type { ImageResolver, RepositoryFactsSource, ResolvedImage } from '../core/ports.js';
