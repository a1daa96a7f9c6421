/**
 * How a repaired manifest is recognised, apart from the rewrite itself: every push is checked
 * against it, while the rewrite (and its canonical-JSON library) loads only for mode \`repair\`.
 */

/** The annotation a repaired manifest (and index) carries: the digest it was repaired from. */
export const REPAIRED_FROM_ANNOTATION = 'dev.streamgate.repaired-from';

type Json = Record<string, unknown>;

/** True for a manifest (or index) that streamgate wrote as a repair: a push of it is not judged again. */
export function isRepairedManifest(document: unknown): boolean {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return false;
  const annotations = (document as Json).annotations;
  return (
    typeof annotations === 'object' &&
    annotations !== null &&
    !Array.isArray(annotations) &&
    typeof (annotations as Json)[REPAIRED_FROM_ANNOTATION] === 'string'
  );
}
