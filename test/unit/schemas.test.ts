import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSchemas } from '../../scripts/generate-schemas.js';

const ROOT = fileURLToPath(new URL('../../schemas/', import.meta.url));

async function committedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? committedFiles(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]),
    ),
  );
  return nested.flat();
}

describe('schemas/', () => {
  it('equals what scripts/generate-schemas.ts generates (run it after changing a zod schema)', async () => {
    const generated = await generateSchemas();
    const committed = (await committedFiles(ROOT)).map((f) => relative(ROOT, f).split('\\').join('/')).sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    for (const [path, content] of Object.entries(generated)) {
      expect(await readFile(join(ROOT, path), 'utf8'), path).toBe(content);
    }
  });

  it('publishes strict schemas: unknown request and config fields are refused', async () => {
    const schemas = await generateSchemas();
    const request = JSON.parse(schemas['job-request.v1.json']!) as Record<string, unknown>;
    expect(request.additionalProperties).toBe(false);
    expect(request.required).toEqual(['apiVersion', 'image']);
    const config = JSON.parse(schemas['config.json']!) as Record<string, unknown>;
    expect(config.additionalProperties).toBe(false);
    expect(config.$id).toBe('https://streamgate.dev/schemas/config.json');
  });
});
