/** Content digests (`algorithm:hex`) as the OCI spec defines them, and checking bytes against one. */
import { createHash } from 'node:crypto';

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True for a sha256 or sha512 digest in canonical form. */
export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

/** The digest of `bytes` with the given algorithm (default sha256). */
export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** True when `bytes` hash to `digest` with the digest's own algorithm. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  if (!isDigest(digest)) return false;
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return digestOf(bytes, algorithm) === digest;
}
