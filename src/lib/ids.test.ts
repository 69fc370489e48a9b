import { describe, expect, it } from 'vitest';
import { TIME_ORDERED_ID, timeOrderedId } from './ids.ts';

describe('timeOrderedId', () => {
  it('sorts as the time it was made, whatever its random part', () => {
    const times = [0, 1, 31, 32, 1_000, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2099, 11, 31)];
    const ids = times.map((t) => timeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(TIME_ORDERED_ID);
  });

  it('starts with the milliseconds in base32 and differs in its 80 random bits', () => {
    const a = timeOrderedId(Date.UTC(2026, 11, 3));
    const b = timeOrderedId(Date.UTC(2026, 11, 3));
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
    expect(a).not.toBe(b);
    const decode = (chars: string): number => [...chars].reduce((n, c) => n * 32 + '0123456789abcdefghjkmnpqrstvwxyz'.indexOf(c), 0);
    expect(decode(a.slice(0, 10))).toBe(Date.UTC(2026, 11, 3));
  });

  it('is unique over many ids made in the same millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedId(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
