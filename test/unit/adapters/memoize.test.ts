import { describe, expect, it } from 'vitest';
import { memoizePromise } from '../../../shared/adapters/memoize.js';

describe('memoizePromise', () => {
  it('starts the work once and hands every caller the same value', async () => {
    let calls = 0;
    const get = memoizePromise(async () => ({ n: ++calls }));
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(calls).toBe(1);
  });

  it('forgets a failure, so the next call tries again', async () => {
    let calls = 0;
    const get = memoizePromise(async () => {
      calls += 1;
      if (calls === 1) throw new Error('first import failed');
      return calls;
    });
    await expect(get()).rejects.toThrow('first import failed');
    expect(get.peek()).toBeUndefined();
    expect(await get()).toBe(2);
    expect(calls).toBe(2);
  });

  it('a failure after forget() does not drop the promise that replaced it', async () => {
    let fail!: (error: Error) => void;
    let calls = 0;
    const get = memoizePromise(() => {
      calls += 1;
      return calls === 1 ? new Promise<number>((_, reject) => (fail = reject)) : Promise.resolve(calls);
    });
    const first = get();
    get.forget();
    const second = get();
    fail(new Error('late failure of the forgotten build'));
    await expect(first).rejects.toThrow('late failure');
    expect(await second).toBe(2);
    expect(get.peek()).toBe(second);
    expect(calls).toBe(2);
  });
});
