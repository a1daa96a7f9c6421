/**
 * The source archive Terraform uploads for the functions (`data.archive_file.source` in
 * infra/terraform/source.tf) holds what `npm run gcp-build` needs, and no local stand-in: the
 * excludes are applied, as the archive provider applies them, to the files of this checkout.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  instancesOf,
  parseTerraformFiles,
  readTerraformFiles,
  type TerraformModule,
} from '../helpers/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TERRAFORM_DIR = join(ROOT, 'infra', 'terraform');
// Never walked: big, and excluded from the archive anyway (checked below).
const UNWALKED = ['node_modules', '.git', 'dist', '.streamgate', 'coverage', join('infra', 'terraform')];

/** A doublestar glob as a RegExp: `**` crosses folders (`**\/` may match none), `*` does not. */
function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i += 1) {
    const rest = glob.slice(i);
    if (rest.startsWith('**/')) [pattern, i] = [`${pattern}(?:.*/)?`, i + 2];
    else if (rest.startsWith('**')) [pattern, i] = [`${pattern}.*`, i + 1];
    else if (glob[i] === '*') pattern += '[^/]*';
    else if (glob[i] === '?') pattern += '[^/]';
    else pattern += (glob[i] ?? '').replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

function archiveExcludes(module: TerraformModule): RegExp[] {
  const [archive, ...others] = instancesOf(module, 'archive_file', 'data');
  expect(others).toEqual([]);
  const excludes = archive?.body.excludes;
  expect(Array.isArray(excludes)).toBe(true);
  return (excludes as string[]).map(globToRegExp);
}

async function checkoutFiles(): Promise<string[]> {
  const entries = await readdir(ROOT, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((file) => !UNWALKED.some((dir) => file === dir || file.startsWith(`${dir}${sep}`)))
    .map((file) => file.split(sep).join('/'));
}

async function archived(module: TerraformModule): Promise<string[]> {
  const excludes = archiveExcludes(module);
  return (await checkoutFiles()).filter((file) => !excludes.some((exclude) => exclude.test(file)));
}

describe('the functions source archive', () => {
  it('matches globs as the archive provider does', () => {
    expect(globToRegExp('infra/local/**').test('infra/local/a/b.ts')).toBe(true);
    expect(globToRegExp('infra/local/**').test('infra/localx/b.ts')).toBe(false);
    expect(globToRegExp('**/.env').test('.env')).toBe(true);
    expect(globToRegExp('**/.env').test('a/b/.env')).toBe(true);
    expect(globToRegExp('**/.env.*').test('a/.envy')).toBe(false);
  });

  it('holds no local stand-in, and no CLI, test or bench file', async () => {
    const files = await archived(await parseTerraformFiles(await readTerraformFiles(TERRAFORM_DIR)));
    expect(files.filter((file) => /^(infra|cli|test|bench|docs|\.ci)\//.test(file))).toEqual([]);
    const excludes = archiveExcludes(await parseTerraformFiles(await readTerraformFiles(TERRAFORM_DIR)));
    for (const dir of UNWALKED) {
      expect(excludes.some((exclude) => exclude.test(`${dir.split(sep).join('/')}/x`))).toBe(true);
    }
  });

  it('holds everything the build (tsconfig.build.json) reads', async () => {
    const files = await archived(await parseTerraformFiles(await readTerraformFiles(TERRAFORM_DIR)));
    const build = JSON.parse(await readFile(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const buildFiles = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
    // `npm run build` ends with the bundle of the entry point.
    for (const file of [...buildFiles, 'scripts/bundle-functions.mjs']) {
      expect(files).toContain(file);
    }
    for (const dir of build.include) {
      const sources = (await checkoutFiles()).filter((file) => file.startsWith(`${dir}/`));
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.filter((file) => !files.includes(file))).toEqual([]);
    }
  });

  it('flags an archive that would ship the stand-ins', async () => {
    const sources = await readTerraformFiles(TERRAFORM_DIR);
    const mutated = sources.map((file) =>
      file.name === 'source.tf'
        ? { ...file, text: file.text.replace(/^\s*"infra\/local\/\*\*",.*$/m, '') }
        : file,
    );
    expect(mutated).not.toEqual(sources);
    const files = await archived(await parseTerraformFiles(mutated));
    expect(files).toContain('infra/local/stack.ts');
  });
});
