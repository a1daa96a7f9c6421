/**
 * Every command answers a flag it does not know as a usage error: exit 2 and one line naming the
 * flag and the command's help, never a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';

const COMMANDS = ['check', 'plan', 'demo', 'submit', 'events', 'fix'];

describe('an unknown flag', () => {
  it.each(COMMANDS)('streamgate %s --bogus is exit 2 with one line', async (command) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([command, '--bogus'], { out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(`streamgate ${command}:`);
    expect(err[0]).toContain("'--bogus'");
    expect(err[0]).toContain(`streamgate ${command} --help`);
    expect(err[0]).not.toMatch(/\n\s+at /);
  });
});
