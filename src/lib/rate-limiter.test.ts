import { describe, expect, it, vi } from 'vitest';
import { clientNetworkKey } from './client-network.ts';
import { createRateLimiter } from './rate-limiter.ts';

// The real function, counted: a check while nothing is counted should form no network key.
vi.mock('./client-network.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('./client-network.ts')>();
  return { ...original, clientNetworkKey: vi.fn(original.clientNetworkKey) };
});

describe('rate limiter', () => {
  const limits = { failuresPerIdentifier: 3, failuresPerIp: 5, windowMs: 60_000 };
  const key = (identifier: string, ip = '192.0.2.1') => ({ orgId: 'org_a', identifier, ip });

  it('blocks an identifier after its limit, in its org only, until the window passes', () => {
    let now = 0;
    const throttle = createRateLimiter(() => now, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 3; i++) {
      expect(throttle.isBlocked(key('alice'))).toBe(false);
      throttle.recordFailure(key('alice', `198.51.100.${i}`));
    }
    expect(throttle.isBlocked(key('alice', '203.0.113.9'))).toBe(true);
    expect(throttle.isBlocked({ ...key('alice'), orgId: 'org_b' })).toBe(false);
    now = 60_001;
    expect(throttle.isBlocked(key('alice'))).toBe(false);
  });

  it('counts the identifier exactly as given: callers say which account it names', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 3; i++) throttle.recordFailure(key('constituent:1001', `198.51.100.${i}`));
    expect(throttle.isBlocked(key('constituent:1001', '203.0.113.9'))).toBe(true);
    expect(throttle.isBlocked(key('CONSTITUENT:1001', '203.0.113.9'))).toBe(false);
  });

  it('blocks an IP spraying many identifiers', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 5; i++) throttle.recordFailure(key(`user${i}`));
    expect(throttle.isBlocked(key('someone-new'))).toBe(true);
    expect(throttle.isBlocked(key('someone-new', '192.0.2.2'))).toBe(false);
  });

  // Regression (issue 9, item 4): the IP was counted by exact address, so an IPv6 client rotating
  // through its /64 had a fresh quota at every address.
  it('counts every address of an IPv6 /64 (or the configured prefix) as one client', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 5; i++) throttle.recordFailure(key(`user${i}`, `2001:db8:1:2::${i.toString(16)}`));
    expect(throttle.isBlocked(key('someone-new', '2001:db8:1:2:ffff:ffff:ffff:ffff'))).toBe(true);
    expect(throttle.begin(key('someone-new', '2001:DB8:1:2::abcd'))).toBeUndefined();
    expect(throttle.isBlocked(key('someone-new', '2001:db8:1:3::1'))).toBe(false);
    const wider = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 48 });
    for (let i = 0; i < 5; i++) wider.recordFailure(key(`user${i}`, `2001:db8:1:${i}::1`));
    expect(wider.isBlocked(key('someone-new', '2001:db8:1:ff::1'))).toBe(true);
    expect(wider.isBlocked(key('someone-new', '2001:db8:2::1'))).toBe(false);
  });

  it('counts a key without an identifier against the network only', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 4; i++) expect(throttle.begin({ orgId: 'org_a', ip: `2001:db8::${i}` })).toBeDefined();
    expect(throttle.isBlocked(key('alice', '192.0.2.9'))).toBe(false);
    throttle.recordFailure({ orgId: 'org_a', ip: '2001:db8::99' });
    expect(throttle.begin({ orgId: 'org_b', ip: '2001:db8::100' })).toBeUndefined();
  });

  it('counts a key without an IP against its identifier only: the network neither refuses nor counts it', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 5; i++) throttle.recordFailure(key(`user${i}`));
    expect(throttle.isBlocked(key('device:n1'))).toBe(true);
    for (let i = 0; i < 3; i++) expect(throttle.begin({ orgId: 'org_a', identifier: 'device:n1' })).toBeDefined();
    expect(throttle.begin({ orgId: 'org_a', identifier: 'device:n1' })).toBeUndefined();
    expect(throttle.isBlocked(key('someone', '192.0.2.2'))).toBe(false);
  });

  // Regression (security review of issue 9 item 7, finding 7): a key was dropped only when looked
  // up again, so after the first failure every check formed keys for good.
  it('sweeps keys whose failures all left the window: then a check forms no network key', () => {
    let now = 0;
    const throttle = createRateLimiter(() => now, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 5; i++) throttle.recordFailure(key(`user${i}`, '2001:db8::1'));
    expect(throttle.isBlocked(key('someone', '2001:db8::2'))).toBe(true);
    now = 60_001;
    expect(throttle.isBlocked(key('someone', '2001:db8:1::1'))).toBe(false);
    vi.mocked(clientNetworkKey).mockClear();
    for (let i = 0; i < 100; i++) expect(throttle.isBlocked(key('someone', `2001:db8:${i}::1`))).toBe(false);
    expect(vi.mocked(clientNetworkKey)).not.toHaveBeenCalled();
  });

  it('counts an attempt when it begins, so no more than the limit can be under way at once', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    const begun = Array.from({ length: 10 }, () => throttle.begin(key('alice')));
    expect(begun.filter((a) => a !== undefined)).toHaveLength(3);
    expect(throttle.isBlocked(key('alice', '192.0.2.9'))).toBe(true);
    // The IP's count went up only for the attempts that began.
    expect(throttle.begin(key('bob'))).toBeDefined();
    expect(throttle.begin(key('carol'))).toBeDefined();
    expect(throttle.begin(key('dave'))).toBeUndefined();
  });

  it('takes a released attempt back from both counts, once however often released', () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    const first = throttle.begin(key('alice'))!;
    throttle.begin(key('alice'));
    throttle.begin(key('alice'));
    expect(throttle.begin(key('alice'))).toBeUndefined();
    first.release();
    first.release();
    expect(throttle.begin(key('alice'))).toBeDefined();
    expect(throttle.begin(key('alice'))).toBeUndefined();
    // IP: 3 begun for alice (one released, one more begun) = 3; two more fit.
    expect(throttle.begin(key('bob'))).toBeDefined();
    expect(throttle.begin(key('carol'))).toBeDefined();
    expect(throttle.begin(key('dave'))).toBeUndefined();
  });

  it("forgets an identifier's failures after a success, but not the IP's", () => {
    const throttle = createRateLimiter(() => 0, { limits, ipv6PrefixBits: 64 });
    throttle.recordFailure(key('bob'));
    throttle.recordFailure(key('bob'));
    throttle.begin(key('bob'))!.succeeded();
    throttle.recordFailure(key('bob'));
    expect(throttle.isBlocked(key('bob', '192.0.2.3'))).toBe(false);
    throttle.recordFailure(key('carol'));
    // The IP: bob's three failures, carol's one; the success did not count.
    expect(throttle.isBlocked(key('someone-new'))).toBe(false);
    throttle.recordFailure(key('dave'));
    expect(throttle.isBlocked(key('someone-new'))).toBe(true);
  });

  it('lets an attempt that began age out of the window like any failure', () => {
    let now = 0;
    const throttle = createRateLimiter(() => now, { limits, ipv6PrefixBits: 64 });
    const attempt = throttle.begin(key('alice'))!;
    throttle.begin(key('alice'));
    throttle.begin(key('alice'));
    now = 60_001;
    attempt.release(); // aged out already: nothing else is taken back
    throttle.begin(key('alice'));
    throttle.begin(key('alice'));
    throttle.begin(key('alice'));
    expect(throttle.isBlocked(key('alice'))).toBe(true);
  });
});
