import * as z from 'zod';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { afterZodSettings } from '../../../functions/warm-up.js';

/**
 * The functions build every schema jitless (functions/zod-settings.ts): zod then never compiles a
 * parser from generated source (`new Function`), which on a cold start is paid on the first event.
 */
describe('zod settings of the functions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('applies before the loaded module runs, and then no parse compiles code', async () => {
    const seen = await afterZodSettings(async () => z.config().jitless);
    expect(seen).toBe(true);
    const compiled = vi.spyOn(globalThis, 'Function');
    const schema = z.strictObject({ name: z.string().max(63), count: z.number().int().optional() });
    expect(schema.parse({ name: 'job', count: 2 })).toEqual({ name: 'job', count: 2 });
    expect(schema.safeParse({ name: 'job', extra: 1 }).success).toBe(false);
    expect(compiled).not.toHaveBeenCalled();
  });
});
