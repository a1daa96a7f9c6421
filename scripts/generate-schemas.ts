/**
 * Writes the published JSON Schemas (`schemas/`) from the zod schemas, so they never drift:
 * `npx tsx scripts/generate-schemas.ts`. test/unit/schemas.test.ts checks the committed files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StreamgateConfigSchema } from '../shared/core/config.js';
import { EVENT_DATA_SCHEMAS } from '../shared/core/events.js';
import { JobRequestV1Schema } from '../shared/core/request.js';

const BASE_URL = 'https://streamgate.dev/schemas/';

function render(schema: z.ZodType, path: string, title: string, io: 'input' | 'output'): string {
  const { $schema, ...body } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return `${JSON.stringify({ $schema, $id: BASE_URL + path, title, ...body }, null, 2)}\n`;
}

/** Every schema file, by path relative to `schemas/`, with its exact content. */
export function generateSchemas(): Record<string, string> {
  const files: Record<string, string> = {
    // Inputs: fields with defaults are optional for whoever writes them.
    'job-request.v1.json': render(
      JobRequestV1Schema,
      'job-request.v1.json',
      'streamgate JobRequest v1',
      'input',
    ),
    'config.json': render(StreamgateConfigSchema, 'config.json', 'streamgate.config.json', 'input'),
  };
  for (const [type, schema] of Object.entries(EVENT_DATA_SCHEMAS)) {
    const path = `events/${type}.json`;
    files[path] = render(schema, path, `${type} (CloudEvent data)`, 'output');
  }
  return files;
}

/** Writes the files under `root` (default: the repository's `schemas/`). */
export async function writeSchemas(root: string): Promise<string[]> {
  const written: string[] = [];
  for (const [path, content] of Object.entries(generateSchemas())) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(target);
  }
  return written;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
  for (const file of await writeSchemas(root)) process.stdout.write(`wrote ${file}\n`);
}
