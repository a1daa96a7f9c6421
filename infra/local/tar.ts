/**
 * A minimal POSIX ustar writer for small, reproducible image layers. The local stack builds its
 * demo images at run time, so it cannot lean on a dev-only tar package.
 */

const BLOCK = 512;

/** One regular file in a tar archive. */
export interface TarFile {
  name: string;
  content: string | Uint8Array;
  /** Unix permission bits; default 0o644. */
  mode?: number;
}

function octal(value: number, width: number): string {
  // Fields are NUL-terminated octal numbers, zero-padded to width - 1 digits.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) throw new Error(`tar entry name longer than 100 bytes: ${name}`);
  const block = Buffer.alloc(BLOCK);
  nameBytes.copy(block, 0);
  block.write(octal(mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii'); // uid
  block.write(octal(0, 8), 116, 'ascii'); // gid
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii'); // mtime: the epoch, so bytes never depend on the clock
  block.write('        ', 148, 'ascii'); // checksum placeholder: eight spaces while summing
  block.write('0', 156, 'ascii'); // regular file
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return block;
}

/**
 * Packs files into an uncompressed tar (ustar), entries in the given order.
 *
 * @example
 *   const bytes = packTar([{ name: 'hello.txt', content: 'hi\n' }]);
 */
export function packTar(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const content =
      typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : Buffer.from(file.content);
    parts.push(header(file.name, content.length, file.mode ?? 0o644), content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // end-of-archive marker
  return Buffer.concat(parts);
}
