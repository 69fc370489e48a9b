import { describe, expect, it } from 'vitest';
import { createClientAuthThrottle, KNOWN_NETWORK_TTL_MS } from './client-auth-throttle.ts';

describe('client authentication throttle', () => {
  const limits = { failuresPerClient: 3, failuresPerNetwork: 5, windowMs: 60_000 };

  it('locks a client out after its limit, from networks it has not succeeded from, until the oldest failure ages out', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, ipv6PrefixBits: 64 });
    throttle.succeeded('org_a', 'app', '192.0.2.1');
    for (let i = 0; i < 3; i++) {
      expect(throttle.clientRefused('org_a', 'app', '203.0.113.9')).toBeUndefined();
      throttle.failed('org_a', 'app', `198.51.100.${i}`);
      now += 1000;
    }
    expect(throttle.clientRefused('org_a', 'app', '203.0.113.9')).toBe(57);
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.1')).toBeUndefined();
    expect(throttle.clientRefused('org_b', 'app', '203.0.113.9')).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'other', '203.0.113.9')).toBeUndefined();
    now = 60_000;
    expect(throttle.clientRefused('org_a', 'app', '203.0.113.9')).toBeUndefined();
  });

  it('counts an IPv6 client by its /64, for its failures and for the networks a client succeeded from', () => {
    const throttle = createClientAuthThrottle(() => 0, { limits, ipv6PrefixBits: 64 });
    throttle.succeeded('org_a', 'app', '2001:db8:1:1::1');
    for (let i = 0; i < 5; i++) throttle.failed('org_a', `guess${i}`, `2001:db8:2:2::${i + 1}`);
    expect(throttle.networkRefused('2001:db8:2:2:ffff::1')).toBe(60);
    expect(throttle.networkRefused('2001:db8:2:3::1')).toBeUndefined();
    for (let i = 0; i < 3; i++) throttle.failed('org_a', 'app', `2001:db8:3:3::${i + 1}`);
    expect(throttle.clientRefused('org_a', 'app', '2001:db8:1:1:abcd::9')).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'app', '2001:db8:1:2::1')).toBe(60);
  });

  it('remembers every network of successes close together, whichever address came last', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, ipv6PrefixBits: 64 });
    for (const ip of ['192.0.2.1', '192.0.2.1', '2001:db8:9:9::1', '192.0.2.1', '192.0.2.2']) {
      throttle.succeeded('org_a', 'app', ip);
      now += 1000;
    }
    for (let i = 0; i < 3; i++) throttle.failed('org_a', 'app', '198.51.100.1');
    for (const ip of ['192.0.2.1', '192.0.2.2', '2001:db8:9:9::2']) expect(throttle.clientRefused('org_a', 'app', ip)).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.3')).toBe(60);
  });

  it('forgets a network the client has not succeeded from for KNOWN_NETWORK_TTL_MS', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, ipv6PrefixBits: 64 });
    throttle.succeeded('org_a', 'app', '192.0.2.1');
    now = KNOWN_NETWORK_TTL_MS;
    for (let i = 0; i < 3; i++) throttle.failed('org_a', 'app', '198.51.100.1');
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.1')).toBe(60);
  });

  it('remembers the 16 networks of the latest successes per client', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, ipv6PrefixBits: 64 });
    for (let i = 0; i < 17; i++) {
      throttle.succeeded('org_a', 'app', `192.0.2.${i}`);
      now += 61_000;
    }
    // 192.0.2.0 succeeded first and was dropped; a fresh success moves a network to the end.
    throttle.succeeded('org_a', 'app', '192.0.2.1');
    throttle.succeeded('org_a', 'app', '192.0.2.17');
    for (let i = 0; i < 3; i++) throttle.failed('org_a', 'app', '198.51.100.1');
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.0')).toBe(60);
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.1')).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.2')).toBe(60);
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.16')).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'app', '192.0.2.17')).toBeUndefined();
  });

  it('counts failures over a sliding window, each network and client apart', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, ipv6PrefixBits: 64 });
    throttle.failed('org_a', undefined, '192.0.2.1');
    now = 30_000;
    for (let i = 0; i < 3; i++) throttle.failed('org_a', undefined, '192.0.2.1');
    expect(throttle.networkRefused('192.0.2.1')).toBeUndefined();
    now = 60_001;
    throttle.failed('org_a', undefined, '192.0.2.1');
    // The first failure left the window: four are recent.
    expect(throttle.networkRefused('192.0.2.1')).toBeUndefined();
    throttle.failed('org_a', undefined, '192.0.2.1');
    expect(throttle.networkRefused('192.0.2.1')).toBe(30);
    expect(throttle.networkRefused('192.0.2.2')).toBeUndefined();
  });
});
