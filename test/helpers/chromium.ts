/**
 * The browser tier: Debian's `chromium`, driven by playwright-core (which brings no browser of its
 * own). Missing locally, the tier is skipped loudly; with `CI=true` a missing browser fails the run,
 * because `.ci/run` installs it and a quiet skip would hide a broken install step.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

export const CHROMIUM_BINARY = process.env.STREAMGATE_CHROMIUM_BIN ?? '/usr/bin/chromium';

/**
 * `describe` for tests that need Chromium (see test/helpers/docker-registry.ts for the pattern).
 *
 * @example
 *   describeChromiumTier('the local page in a real browser', () => { … });
 */
export function describeChromiumTier(title: string, body: () => void): void {
  const available = existsSync(CHROMIUM_BINARY);
  const inCi = process.env.CI === 'true';
  if (!available && !inCi) {
    console.warn(
      [
        '',
        '################################################################################',
        `#  SKIPPING "${title}": ${CHROMIUM_BINARY} is missing.`,
        '#  Install Debian\'s "chromium" package to run it (CI installs it).',
        '################################################################################',
        '',
      ].join('\n'),
    );
  }
  describe(`${title}: chromium availability`, () => {
    it(`${CHROMIUM_BINARY} is installed, or this is not CI`, () => {
      expect(available || !inCi).toBe(true);
    });
  });
  describe.skipIf(!available)(
    available ? title : `SKIPPED: ${title} (${CHROMIUM_BINARY} not installed)`,
    body,
  );
}
