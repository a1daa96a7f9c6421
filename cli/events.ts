/**
 * `streamgate events`: the events the local stack's page shows, as a table in the terminal. It
 * reads the page's own stream, so it prints exactly what the page has (the last 200 events), and
 * with `--follow` keeps printing new ones until interrupted.
 */
import { readSnapshots, tableHeader, tableRow } from '../infra/local/dashboard/event-table.js';
import { parseCommandArgs } from './args.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { optionalStackValue, readRunningStack } from './local-stack.js';

export const EVENTS_HELP = `streamgate events — the local stack's events as a table.

Usage: streamgate events [--follow] [--stack [FILE]]
  --follow        keep printing events as they arrive (Ctrl-C stops)
  --stack [FILE]  the running stack's endpoints (default .streamgate/local-stack.json, written by
                  \`npm start\`)

Prints the events the stack's page (its "dashboard" endpoint) holds: launched, rejected and
completed, oldest first. Exit status: 0, or 2 when no stack runs.`;

/**
 * Runs the command; resolves with the exit status.
 *
 * @example await runEvents(['--follow'], processIo)
 */
export async function runEvents(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('events', {
    args: optionalStackValue(argv),
    options: {
      follow: { type: 'boolean' },
      stack: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(EVENTS_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const { file, endpoints } = await readRunningStack(values.stack || undefined);
  const page = endpoints.dashboard;
  if (page === undefined)
    throw new UsageError(
      `the stack in ${file} serves no page (it predates it); restart it with \`npm start\`.`,
    );
  let printed = 0;
  io.out(tableHeader());
  try {
    await readSnapshots(
      page,
      (snapshot) => {
        for (const row of snapshot.events) {
          if (row.seq <= printed) continue;
          io.out(tableRow(row));
          printed = row.seq;
        }
        return values.follow === true;
      },
      signal,
    );
  } catch (error) {
    if (signal?.aborted) return EXIT.ok;
    throw new UsageError(
      `cannot read the page of the stack in ${file} (${page}): ${error instanceof Error ? error.message : String(error)}; is \`npm start\` running?`,
    );
  }
  return EXIT.ok;
}
