import { describe, expect, it } from 'vitest';
import { createSignInThrottle } from './sign-in-throttle.ts';

describe('sign-in throttle', () => {
  const limits = { failuresPerIdentifier: 3, failuresPerIp: 5, windowMs: 60_000 };
  const key = (identifier: string, ip = '192.0.2.1') => ({ orgId: 'org_a', identifier, ip });

  it('blocks an identifier after its limit, in any case, until the window passes', () => {
    let now = 0;
    const throttle = createSignInThrottle(() => now, limits);
    for (let i = 0; i < 3; i++) {
      expect(throttle.isBlocked(key('alice'))).toBe(false);
      throttle.recordFailure(key('alice', `198.51.100.${i}`));
    }
    expect(throttle.isBlocked(key('ALICE', '203.0.113.9'))).toBe(true);
    expect(throttle.isBlocked({ ...key('alice'), orgId: 'org_b' })).toBe(false);
    now = 60_001;
    expect(throttle.isBlocked(key('alice'))).toBe(false);
  });

  it('blocks an IP spraying many identifiers', () => {
    const throttle = createSignInThrottle(() => 0, limits);
    for (let i = 0; i < 5; i++) throttle.recordFailure(key(`user${i}`));
    expect(throttle.isBlocked(key('someone-new'))).toBe(true);
    expect(throttle.isBlocked(key('someone-new', '192.0.2.2'))).toBe(false);
  });

  it('forgets an identifier\'s failures after a success', () => {
    const throttle = createSignInThrottle(() => 0, limits);
    throttle.recordFailure(key('bob'));
    throttle.recordFailure(key('bob'));
    throttle.recordSuccess(key('bob'));
    throttle.recordFailure(key('bob'));
    expect(throttle.isBlocked(key('bob', '192.0.2.3'))).toBe(false);
  });
});
