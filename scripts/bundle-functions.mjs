/**
 * Bundles the deployed entry point, `dist/functions/index.js`, after `tsc` has typechecked and
 * emitted dist/: our code and zod become a few ESM files (one per lazily imported function, plus
 * shared chunks) instead of ~200 modules, because at cold start each module costs a resolve, a
 * read and a compile (docs/performance.md). The Google clients and other packages stay in
 * node_modules (external), so their internals (protos, functions-framework's own files) resolve
 * as installed. The rest of dist/ (tsc's per-file output) is left in place.
 *
 * Usage: node scripts/bundle-functions.mjs [outdir]   (default: dist/functions)
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
/**
 * Packages bundled into our output: pure ESM, loaded at cold start, many small files. Our code
 * imports zod as a namespace (`import * as z from 'zod'`, eslint enforces it in functions/ and
 * shared/), so only the parts we use are kept: `import { z }` would keep all of zod, its 50
 * locales included (~400 KB instead of ~200 KB).
 */
const BUNDLED = new Set(['zod']);

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const external = Object.keys(manifest.dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const outdir = process.argv[2] ?? 'dist/functions';
// Chunk names carry a content hash: drop the previous build's, so dist/ holds only what loads.
rmSync(resolve(ROOT, outdir, 'chunks'), { recursive: true, force: true });

await build({
  absWorkingDir: ROOT,
  entryPoints: { index: 'functions/index.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
