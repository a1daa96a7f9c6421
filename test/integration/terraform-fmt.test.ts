/**
 * `terraform fmt -check -recursive infra/terraform` passes, where a terraform binary exists (see
 * test/helpers/terraform-binary.ts: skipped loudly elsewhere). `.ci/run` runs the same command.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeTerraformTier, runTerraformFmtCheck } from '../helpers/terraform-binary.js';

const TERRAFORM_DIR = join(import.meta.dirname, '..', '..', 'infra', 'terraform');
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describeTerraformTier('terraform fmt', (terraform) => {
  it('finds every file of infra/terraform formatted', () => {
    const result = runTerraformFmtCheck(terraform, TERRAFORM_DIR);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('names a file that is not formatted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamgate-tf-fmt-'));
    scratch.push(dir);
    await writeFile(join(dir, 'ugly.tf'), 'locals {\n  a = 1\n  bb    = 2\n}\n');
    const result = runTerraformFmtCheck(terraform, dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('ugly.tf');
  });
});
