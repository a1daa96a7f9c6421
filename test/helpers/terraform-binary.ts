/**
 * The `terraform` binary, for the one check that needs it offline: `terraform fmt -check`. Terraform
 * is in neither Debian nor npm, so CI cannot install it: where it is missing the tier is skipped
 * loudly (a banner and a SKIPPED title), also with `CI=true`.
 *
 * @example
 *   describeTerraformTier('terraform fmt', (binary) => { it('…', () => runTerraformFmtCheck(binary, dir)); });
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe } from 'vitest';

/** `STREAMGATE_TERRAFORM_BIN`, else `terraform` on PATH, else undefined. */
function findTerraform(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.STREAMGATE_TERRAFORM_BIN)
    return existsSync(env.STREAMGATE_TERRAFORM_BIN) ? env.STREAMGATE_TERRAFORM_BIN : undefined;
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'terraform'))
    .find((candidate) => existsSync(candidate));
}

export interface FmtResult {
  status: number | null;
  /** stdout: the files that need formatting, and their diff. */
  output: string;
}

/** `terraform fmt -check -recursive -diff <dir>`: status 0 when every file is formatted. Works offline. */
export function runTerraformFmtCheck(binary: string, dir: string): FmtResult {
  const result = spawnSync(binary, ['fmt', '-check', '-recursive', '-diff', dir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: result.stdout };
}

/** A tier that needs the terraform binary; `body` gets its path. Skipped loudly where it is missing. */
export function describeTerraformTier(title: string, body: (binary: string) => void): void {
  const binary = findTerraform();
  if (binary === undefined) {
    console.warn(
      [
        '',
        '################################################################################',
        `#  SKIPPING "${title}": no terraform binary on PATH (or STREAMGATE_TERRAFORM_BIN).`,
        '#  Terraform is not in Debian or npm; install it from developer.hashicorp.com to run this.',
        '################################################################################',
        '',
      ].join('\n'),
    );
  }
  describe.skipIf(binary === undefined)(
    binary === undefined ? `SKIPPED: ${title} (terraform not installed)` : title,
    () => body(binary ?? 'terraform'),
  );
}
