import type { RunnableInput } from './requests.js';

/** How every task of a job ends. */
export interface Outcome {
  exitCode: number;
  succeeded: boolean;
}

const SUCCESS: Outcome = { exitCode: 0, succeeded: true };

// Shell statement separators; good enough for the one-liners tests and demos use.
const STATEMENT_SEPARATOR = /;|&&|\|\||\n/;
const EXIT_STATEMENT = /^exit(?:\s+(\d+))?$/;

/** The exit code one shell statement forces, or undefined when it does not end the script. */
function exitCodeOf(statement: string): number | undefined {
  const text = statement
    .trim()
    .replace(/^["']|["']$/g, '')
    .trim();
  if (text === 'false') return 1;
  const m = EXIT_STATEMENT.exec(text);
  if (!m) return undefined;
  // A shell reports exit statuses modulo 256.
  return m[1] === undefined ? 0 : Number(m[1]) % 256;
}

/** The first forced exit code in a script, scanning statements in order. */
function scriptExitCode(script: string): number | undefined {
  for (const statement of script.split(STATEMENT_SEPARATOR)) {
    const code = exitCodeOf(statement);
    if (code !== undefined) return code;
  }
  return undefined;
}

/**
 * Decides, without running anything, how a job's tasks end: the stand-in has no VMs, so the
 * first container runnable's entrypoint + commands (or else the first script's text) say it.
 * `exit N` (alone, or as a statement inside `sh -c "…; exit N"`) fails with N, `false` fails
 * with 1, anything else succeeds with 0. `exit 0` succeeds.
 *
 * @example
 *   decideOutcome([{ container: { imageUri: 'x', entrypoint: '/bin/sh', commands: ['-c', 'echo hi; exit 3'] } }])
 *   // → { exitCode: 3, succeeded: false }
 */
export function decideOutcome(runnables: readonly RunnableInput[]): Outcome {
  const container = runnables.find((r) => r.container)?.container;
  let code: number | undefined;
  if (container) {
    const argv = [container.entrypoint, ...container.commands].filter((word) => word !== '');
    // The argv as one statement (`exit`, `3`), then each word as a script (`sh -c "…"`).
    code = exitCodeOf(argv.join(' ')) ?? firstDefined(argv.map(scriptExitCode));
  } else {
    const text = runnables.find((r) => r.script?.text)?.script?.text;
    if (text) code = scriptExitCode(text);
  }
  if (code === undefined || code === 0) return SUCCESS;
  return { exitCode: code, succeeded: false };
}

function firstDefined(values: readonly (number | undefined)[]): number | undefined {
  return values.find((v) => v !== undefined);
}
