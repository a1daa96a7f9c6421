/** Where the CLI writes; tests pass their own sinks. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit statuses: 0 eligible, 1 ineligible or needs-resolution, 2 usage or input error. */
export const EXIT = { ok: 0, ineligible: 1, usage: 2 } as const;

/** A usage or input problem: one line on stderr, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
