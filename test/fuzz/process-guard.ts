/**
 * Records every `unhandledRejection` and `uncaughtException` while a fuzz run is active, so a
 * property can fail on them (vitest would only report them after the fact, without the input).
 */
import { afterAll, beforeAll, expect } from 'vitest';

export interface ProcessGuard {
  /** Everything caught so far, as readable lines. */
  readonly failures: readonly string[];
  /** Stops listening. */
  stop(): void;
}

/**
 * Starts listening. Call `stop()` in afterAll.
 *
 * @example
 *   const guard = guardProcess();
 *   // … run the property …
 *   expect(guard.failures).toEqual([]);
 *   guard.stop();
 */
export function guardProcess(): ProcessGuard {
  const failures: string[] = [];
  const onRejection = (reason: unknown): void => {
    failures.push(`unhandledRejection: ${describe(reason)}`);
  };
  const onException = (error: unknown): void => {
    failures.push(`uncaughtException: ${describe(error)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    failures,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}

/**
 * Guards the whole test file: listens from beforeAll and, in afterAll, fails the file on anything
 * caught.
 */
export function guardProcessForFile(): void {
  let guard: ProcessGuard | undefined;
  beforeAll(() => {
    guard = guardProcess();
  });
  afterAll(() => {
    guard?.stop();
    expect(guard?.failures ?? []).toEqual([]);
  });
}
