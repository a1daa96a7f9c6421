/**
 * A port whose adapter is built on its first call: each listed method awaits `load()`, then calls
 * the adapter's own. Port methods all return promises, so a caller sees no difference; a module
 * imported inside `load()` is not loaded until something needs it.
 *
 * @example
 *   const images = lazyPort(async () => (await import('./images.js')).createResolver(), ['resolve']);
 *   await images.resolve(reference, platform); // imports ./images.js now
 */
export function lazyPort<T extends object, const K extends keyof T>(
  load: () => Promise<T>,
  methods: readonly K[],
): Pick<T, K> {
  const port: Record<PropertyKey, unknown> = {};
  for (const name of methods) {
    port[name] = async (...args: unknown[]): Promise<unknown> => {
      const target = await load();
      return (target[name] as (...args: unknown[]) => unknown).apply(target, args);
    };
  }
  return port as Pick<T, K>;
}
