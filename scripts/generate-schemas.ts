/**
 * Writes the published JSON Schemas (`schemas/`) from the zod schemas, so they never drift:
 * `npx tsx scripts/generate-schemas.ts`. test/unit/schemas.test.ts checks the committed files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import { StreamgateConfigSchema } from '../shared/core/config.js';
import { EVENT_DATA_SCHEMAS } from '../shared/core/events.js';
import { JobRequestV1Schema } from '../shared/core/request.js';

const BASE_URL = 'https://streamgate.dev/schemas/';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');

// Formatted like the rest of the repository, so `prettier --check .` passes on the generated files.
async function render(
  schema: z.core.$ZodType,
  path: string,
  title: string,
  io: 'input' | 'output',
): Promise<string> {
  const { $schema, ...body } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  const options = (await resolveConfig(join(ROOT, path))) ?? {};
  return format(JSON.stringify({ $schema, $id: BASE_URL + path, title, ...body }), {
    ...options,
    parser: 'json',
  });
}

/** Every schema file, by path relative to `schemas/`, with its exact content. */
export async function generateSchemas(): Promise<Record<string, string>> {
  // Inputs (request, config): fields with defaults are optional for whoever writes them.
  const files: Record<string, string> = {
    'job-request.v1.json': await render(
      JobRequestV1Schema,
      'job-request.v1.json',
      'streamgate JobRequest v1',
      'input',
    ),
    'config.json': await render(StreamgateConfigSchema, 'config.json', 'streamgate.config.json', 'input'),
  };
  for (const [type, schema] of Object.entries(EVENT_DATA_SCHEMAS)) {
    const path = `events/${type}.json`;
    files[path] = await render(schema, path, `${type} (CloudEvent data)`, 'output');
  }
  return files;
}

/** Writes the files under `root` (default: the repository's `schemas/`). */
export async function writeSchemas(root = ROOT): Promise<string[]> {
  const written: string[] = [];
  for (const [path, content] of Object.entries(await generateSchemas())) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(target);
  }
  return written;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of await writeSchemas()) process.stdout.write(`wrote ${file}\n`);
}
