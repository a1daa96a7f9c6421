/**
 * Regions where Batch can run a job: the same list streamgate's core uses (docs/platform-facts.md), so
 * the stand-in refuses exactly the regions the pipeline rules out.
 */
export { BATCH_REGIONS as BATCH_STANDIN_REGIONS } from '../../../shared/core/locations.js';
