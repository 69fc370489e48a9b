import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.ts';

describe('bounded cache', () => {
  it('drops the least recently used entry past its capacity, a read counting as a use', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
  });

  it('forgets an entry only while it holds the value given', () => {
    const cache = new BoundedCache<string>(4);
    cache.set('k', 'first');
    cache.set('k', 'second');
    cache.deleteIf('k', 'first');
    expect(cache.get('k')).toBe('second');
    cache.deleteIf('k', 'second');
    expect(cache.get('k')).toBeUndefined();
  });

  it('holds one entry at least', () => {
    expect(() => new BoundedCache(0)).toThrowError(RangeError);
  });
});
