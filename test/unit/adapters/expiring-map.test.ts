import { describe, expect, it } from 'vitest';
import { ExpiringMap } from '../../../shared/adapters/expiring-map.js';

function clockAt(start: number) {
  const clock = { ms: start, now: () => new Date(clock.ms) };
  return clock;
}

describe('ExpiringMap', () => {
  it('keeps an entry for its TTL and forgets it from the moment it expires', () => {
    const clock = clockAt(1_000);
    const map = new ExpiringMap<string, string>(clock, 10);
    map.set('web:1', 'sha256:a', 500);
    clock.ms = 1_499;
    expect(map.get('web:1')).toBe('sha256:a');
    clock.ms = 1_500;
    expect(map.get('web:1')).toBeUndefined();
  });

  it('drops the oldest entry when full; setting a key again makes it the newest', () => {
    const map = new ExpiringMap<string, number>(clockAt(0), 2);
    map.set('a', 1, 1_000);
    map.set('b', 2, 1_000);
    map.set('a', 3, 1_000);
    map.set('c', 4, 1_000);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([3, undefined, 4]);
  });

  it('keeps nothing for a TTL of zero and removes what was there', () => {
    const map = new ExpiringMap<string, number>(clockAt(0), 2);
    map.set('a', 1, 1_000);
    map.set('a', 2, 0);
    expect(map.get('a')).toBeUndefined();
  });
});
