/**
 * Every timer the stand-in starts, so `close()` can clear them all and leave nothing behind
 * that would keep the process alive.
 */
export class TimerSet {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  /** Runs `fn` after `ms` unless cleared first. */
  after(ms: number, fn: () => void): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.set(handle, () => undefined);
    return handle;
  }

  /** Resolves `true` after `ms`, or `false` at once if the set is cleared meanwhile. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const handle = setTimeout(() => {
        this.pending.delete(handle);
        resolve(true);
      }, ms);
      this.pending.set(handle, () => resolve(false));
    });
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    const onCancel = this.pending.get(handle);
    this.pending.delete(handle);
    onCancel?.();
  }

  clearAll(): void {
    for (const handle of [...this.pending.keys()]) this.clear(handle);
  }

  get size(): number {
    return this.pending.size;
  }
}
