/**
 * The running local stack as the CLI finds it: `.streamgate/local-stack.json` (written by
 * `npm start`), or the file `--stack` names.
 */
import { join } from 'node:path';
import { readEndpointsFile, stackPaths, type StackEndpoints } from '../infra/local/stack-config.js';
import { UsageError } from './io.js';

/**
 * `<checkout>/.streamgate/local-stack.json`, where `npm start` writes the stack's endpoints.
 *
 * @example
 *   const file = values.stack ?? (await defaultStackFile());
 */
export async function defaultStackFile(): Promise<string> {
  // Loaded here only: the stack module pulls in every stand-in, which most commands never need.
  const { repositoryRoot } = await import('../infra/local/stack.js');
  return stackPaths(join(repositoryRoot(), '.streamgate')).endpoints;
}

/**
 * The endpoints of the running stack in `file` (default: `defaultStackFile()`); a missing or
 * malformed file is a usage error that says how to start one.
 *
 * @example
 *   const { endpoints } = await readRunningStack(undefined); // .streamgate/local-stack.json
 */
export async function readRunningStack(
  file: string | undefined,
): Promise<{ file: string; endpoints: StackEndpoints }> {
  const path = file ?? (await defaultStackFile());
  let endpoints: StackEndpoints | undefined;
  try {
    endpoints = await readEndpointsFile(path);
  } catch (error) {
    throw new UsageError(`cannot use ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (endpoints === undefined)
    throw new UsageError(`no local stack (${path} is missing): start one with \`npm start\`.`);
  return { file: path, endpoints };
}

/**
 * Lets `--stack` take an optional file for `parseArgs` (which has no optional values): `--stack`
 * alone means the default file (`--stack=`), `--stack FILE.json` and `--stack=FILE` name one. A
 * bare word after `--stack` that is not a `.json` file stays a positional (the image reference).
 *
 * @example
 *   optionalStackValue(['--stack', 'us-docker.pkg.dev/p/r/app:v1']) // ['--stack=', 'us-docker.pkg.dev/p/r/app:v1']
 */
export function optionalStackValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return [...out, ...argv.slice(i)];
    if (arg !== '--stack') {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && next.endsWith('.json') && !next.startsWith('-')) {
      out.push(`--stack=${next}`);
      i++;
    } else out.push('--stack=');
  }
  return out;
}
