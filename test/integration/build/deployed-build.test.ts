/**
 * The deployed build (`npm run build` = `tsc -p tsconfig.build.json`, then the bundle of
 * `functions/index.js` by scripts/bundle-functions.mjs; Cloud Build runs it as `gcp-build`) holds the functions and shared/ only: no local stand-in (infra/local) and no CLI,
 * not even one pulled in by an import, and every compiled module loads under plain node.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const BUNDLE = join(ROOT, 'scripts', 'bundle-functions.mjs');
const ENTRY_POINTS = ['onImagePush', 'onJobRequest', 'onJobStateChanged', 'webhook'];
let outDir = '';
let files: string[] = [];

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'streamgate-build-'));
  const build = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(`${build.stdout}${build.stderr}`).toBe('');
  expect(build.status).toBe(0);
  // Then, as `npm run build` does, the bundle of the entry point over tsc's functions/index.js.
  const bundle = spawnSync(process.execPath, [BUNDLE, join(outDir, 'functions')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(`${bundle.stdout}${bundle.stderr}`).toBe('');
  expect(bundle.status).toBe(0);
  files = await listFiles(outDir);
  // The compiled modules resolve their packages and load as ESM, as they do in the deployed source.
  await symlink(join(ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  await copyFile(join(ROOT, 'package.json'), join(outDir, 'package.json'));
}, 320_000);
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('the deployed build', () => {
  it('holds the functions and shared/, and no stand-in, CLI, test or bench file', () => {
    expect(files).toContain('functions/index.js');
    expect(files.some((file) => file.startsWith('shared/core/'))).toBe(true);
    const outside = files.filter((file) => !/^(functions|shared)\//.test(file));
    expect(outside).toEqual([]);
  });

  it('bundles the entry point: our code and zod in chunks, the Google clients left to node_modules', async () => {
    expect(files.some((file) => file.startsWith('functions/chunks/'))).toBe(true);
    const entry = await readFile(join(outDir, 'functions', 'index.js'), 'utf8');
    expect(entry).toMatch(/from ["']@google-cloud\/functions-framework["']/);
    const chunks = files.filter((file) => file.startsWith('functions/chunks/'));
    const code = (await Promise.all(chunks.map((file) => readFile(join(outDir, file), 'utf8')))).join('\n');
    expect(code).not.toMatch(/from ["']zod["']/);
    expect(code).toMatch(/import\(["']@google-cloud\/batch["']\)/);
  });

  it("leaves the registry and Artifact Registry adapters out of onJobStateChanged's cold start", async () => {
    // The modules a chunk imports statically (what loads with it), and the source files esbuild
    // marks in them with a `// path` comment.
    const loaded = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = await readFile(join(outDir, 'functions', file), 'utf8');
      for (const match of code.matchAll(/^(?:import|export)[^;]*?from\s*"\.\/([^"]+)"/gm)) {
        await visit(join(dirname(file), match[1]!).split(sep).join('/'));
      }
    };
    const sourcesOf = async (name: string): Promise<string> => {
      loaded.clear();
      const entry = files.find((file) => new RegExp(`^functions/chunks/${name}-[A-Z0-9]+\\.js$`).test(file));
      expect(entry).toBeDefined();
      await visit(entry!.slice('functions/'.length));
      return (
        await Promise.all([...loaded].map((file) => readFile(join(outDir, 'functions', file), 'utf8')))
      ).join('\n');
    };
    const notifications = await sourcesOf('on-job-state-changed');
    expect(notifications).toMatch(/^\/\/ shared\/pipeline\/job-notifications\.ts$/m);
    expect(notifications).not.toMatch(/^\/\/ shared\/adapters\/registry\/client\.ts$/m);
    expect(notifications).not.toMatch(/^\/\/ shared\/adapters\/artifact-registry\/facts-source\.ts$/m);
  });

  it('builds its schemas with zod/mini: the classic API is not in the bundle (it costs a cold start ~16 ms more)', async () => {
    const chunks = files.filter((file) => file.startsWith('functions/chunks/'));
    const code = (await Promise.all(chunks.map((file) => readFile(join(outDir, file), 'utf8')))).join('\n');
    expect(code).toMatch(/\$constructor\("ZodMiniObject"/);
    expect(code).not.toMatch(/\$constructor\("ZodType"/);
  });

  it('loads functions/index.js under plain node and registers the four entry points', () => {
    const modules = files.filter((file) => file.endsWith('.js'));
    const script = `
      const { getFunction } = await import('@google-cloud/functions-framework/testing');
      await import(${JSON.stringify(pathToFileURL(join(outDir, 'functions', 'index.js')).href)});
      const registered = ${JSON.stringify(ENTRY_POINTS)}.filter((name) => typeof getFunction(name) === 'function');
      // Every other compiled module too: the lazily imported ones must resolve as well.
      for (const file of ${JSON.stringify(modules)}) await import(new URL(file, ${JSON.stringify(pathToFileURL(`${outDir}/`).href)}).href);
      console.log(JSON.stringify({ registered }));
      process.exit(0);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: outDir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, FUNCTION_TARGET: '' },
    });
    // (The warm-up may log that it found no config: this test gives none.)
    expect(result.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ registered: ENTRY_POINTS });
  });
});
