/**
 * Records every `unhandledRejection` and `uncaughtException` while a fuzz run is active, so a
 * property can fail on them (vitest would only report them after the fact, without the input).
 */
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
