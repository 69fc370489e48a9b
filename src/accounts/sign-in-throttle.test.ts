import { describe, expect, it } from 'vitest';
import { checkThrottled, createSignInThrottle, THROTTLED } from './sign-in-throttle.ts';

const limits = { failuresPerIdentifier: 3, failuresPerIp: 5, windowMs: 60_000 };
const key = (identifier: string, ip = '192.0.2.1') => ({ orgId: 'org_a', identifier, ip });

describe('checkThrottled', () => {
  it('checks no more than the limit at once, keeps failures counted, and takes successes back', async () => {
    const throttle = createSignInThrottle(() => 0, { limits, ipv6PrefixBits: 64 });
    let checks = 0;
    const failing = () =>
      checkThrottled(throttle, key('alice'), async () => {
        checks++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return undefined;
      });
    const answers = await Promise.all(Array.from({ length: 10 }, failing));
    expect(checks).toBe(3);
    expect(answers.filter((a) => a === THROTTLED)).toHaveLength(7);
    expect(await checkThrottled(throttle, key('alice'), async () => 'never')).toBe(THROTTLED);
    expect(await checkThrottled(throttle, key('bob'), async () => 'bob')).toBe('bob');
    expect(await checkThrottled(throttle, key('bob'), async () => 'bob')).toBe('bob');
    expect(await checkThrottled(throttle, key('carol'), async () => undefined)).toBeUndefined();
    expect(await checkThrottled(throttle, key('dave'), async () => 'dave')).toBe('dave');
  });

  it('takes back the attempt of a check that throws (it answered nothing)', async () => {
    const throttle = createSignInThrottle(() => 0, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 5; i++) await expect(checkThrottled(throttle, key('alice'), async () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(throttle.isBlocked(key('alice'))).toBe(false);
  });
});
