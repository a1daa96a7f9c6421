/** Flag parsing shared by the commands: node:util's parser, its errors as usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

/**
 * Parses a command's flags strictly; an unknown or malformed flag is a UsageError (exit 2) that
 * points at the command's help.
 *
 * @example
 *   const { values } = parseCommandArgs('plan', { args: argv, options: OPTIONS, allowPositionals: false });
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T & { strict: true }>> {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; run \`streamgate ${command} --help\`.`);
  }
}
