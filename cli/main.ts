import { runCheck } from './check.js';
import { EXIT, processIo, UsageError, type CliIo } from './io.js';

export const MAIN_HELP = `streamgate — launch Google Cloud Batch jobs with Image streaming when the image allows it.

Usage:
  streamgate check --manifest FILE [--image-config FILE] [--platform os/arch[/variant]] [--machine-type TYPE]
                   [--image REF] [--region R] [--json]
      Judge a manifest file offline (no network).
  streamgate check IMAGE_REF [--platform …] [--machine-type TYPE] [--region R] [--stack [FILE]] [--json]
      Resolve the image live from its registry and judge it (--stack: against the running local stack).
  streamgate plan --request FILE [--config FILE] [--json]
      Show the Batch job a JobRequest would create (the image is read live; nothing is created).
  streamgate demo [--stack FILE] [--timeout SECONDS]
      Push three images into the local stack (\`npm start\`) and print the events they cause.
  streamgate submit --request FILE [--plan] [--url URL] [--key-env VAR] [--bearer-env VAR] [--json]
      Sign a JobRequest (scheme v2) and post it to the webhook; default: the local stack.
  streamgate events [--follow] [--stack [FILE]]
      Print the local stack's events (launched, rejected, completed) as a table; --follow keeps going.
  streamgate fix IMAGE_REF [--tag TAG] [--platform P] [--dry-run] [--json] [--stack [FILE]]
      Repair an image whose only reasons are empty or duplicated layers; push it as <tag>-streamable.
  streamgate --help | streamgate <command> --help

Exit status: 0 eligible, 1 ineligible or needs-resolution, 2 usage error or unreadable input.
(plan: 0 when a job would be created, 1 when the request would be rejected.)
(demo: 0 when every job completed, 1 when an event is missing, 2 usage error.)
(fix: 0 repaired or already eligible, 1 not repairable, 2 cannot read or write the image.)
(submit: 0 accepted, 1 refused (4xx), 2 usage, missing key, network error or 5xx.)`;

type Command = (args: string[], io: CliIo) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  check: runCheck,
  plan: async (args, io) => (await import('./plan.js')).runPlan(args, io),
  // Loaded on demand: the demo pulls in the local stack and the Pub/Sub client, which `check` never needs.
  demo: async (args, io) => (await import('./demo.js')).runDemo(args, io),
  submit: async (args, io) => (await import('./submit.js')).runSubmit(args, io),
  events: async (args, io) => (await import('./events.js')).runEvents(args, io),
  fix: async (args, io) => (await import('./fix.js')).runFix(args, io),
};

/**
 * Runs the CLI and returns the exit status.
 *
 * @example await main(['check', '--manifest', 'm.json', '--json'])
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(MAIN_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.err(`streamgate: unknown command ${JSON.stringify(name)}; run \`streamgate --help\`.`);
    return EXIT.usage;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`streamgate ${name}: ${error.message}`);
      return EXIT.usage;
    }
    throw error;
  }
}
