import { describe, expect, it } from 'vitest';
import { lazyPort } from '../../../shared/adapters/lazy-port.js';

/** A port whose adapter is built on its first call (functions/runtime.ts: the image adapters). */
describe('lazyPort', () => {
  class Adapter {
    calls: string[] = [];
    constructor(private readonly prefix: string) {}
    async greet(name: string, times: number): Promise<string> {
      this.calls.push(name);
      return `${this.prefix} ${name}`.repeat(times);
    }
    async fail(): Promise<never> {
      throw new Error('adapter failed');
    }
  }

  it('builds nothing until a method is called, then calls the adapter with its arguments', async () => {
    let loads = 0;
    const adapter = new Adapter('hi');
    const port = lazyPort(async () => {
      loads += 1;
      return adapter;
    }, ['greet']);
    expect(loads).toBe(0);
    await expect(port.greet('ada', 2)).resolves.toBe('hi adahi ada');
    expect(loads).toBe(1);
    expect(adapter.calls).toEqual(['ada']);
  });

  it('exposes only the listed methods, and passes failures through', async () => {
    const port = lazyPort(async () => new Adapter('x'), ['fail']);
    expect(Object.keys(port)).toEqual(['fail']);
    await expect(port.fail()).rejects.toThrow('adapter failed');
  });

  it('passes a failure to load through to the caller', async () => {
    const port = lazyPort(async (): Promise<Adapter> => {
      throw new Error('module missing');
    }, ['greet']);
    await expect(port.greet('ada', 1)).rejects.toThrow('module missing');
  });
});
