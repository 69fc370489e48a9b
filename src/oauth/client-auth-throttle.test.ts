import { describe, expect, it } from 'vitest';
import { AUTH_NETWORK_REFRESH_MS, AUTH_NETWORK_TTL_MS } from '../clients/auth-networks.ts';
import { clientNetworkKey } from '../lib/client-network.ts';
import { createClientAuthThrottle } from './client-auth-throttle.ts';

describe('client authentication throttle', () => {
  const limits = { failuresPerClient: 3, failuresPerNetwork: 5, windowMs: 60_000 };
  const networkOf = (ip: string): string => clientNetworkKey(ip, 64);

  it('locks a client out after its limit, wherever the failures came from, until the oldest failure ages out', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, networkOf });
    for (let i = 0; i < 3; i++) {
      expect(throttle.clientRefused('org_a', 'app')).toBeUndefined();
      throttle.failed('org_a', 'app', `198.51.100.${i}`);
      now += 1000;
    }
    expect(throttle.clientRefused('org_a', 'app')).toBe(57);
    expect(throttle.clientRefused('org_b', 'app')).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'other')).toBeUndefined();
    now = 60_000;
    expect(throttle.clientRefused('org_a', 'app')).toBeUndefined();
  });

  it('counts an IPv6 client by its /64', () => {
    const throttle = createClientAuthThrottle(() => 0, { limits, networkOf });
    for (let i = 0; i < 5; i++) throttle.failed('org_a', `guess${i}`, `2001:db8:2:2::${i + 1}`);
    expect(throttle.networkRefused('2001:db8:2:2:ffff::1')).toBe(60);
    expect(throttle.networkRefused('2001:db8:2:3::1')).toBeUndefined();
  });

  it('counts failures over a sliding window, each network and client apart', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, networkOf });
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

  it('claims the write of a usual network once a day per client and network, again after a failed write', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, networkOf });
    expect(throttle.claimRecording('org_a', 'app', 'net1')).toBe(true);
    expect(throttle.claimRecording('org_a', 'app', 'net1')).toBe(false);
    expect(throttle.claimRecording('org_a', 'app', 'net2')).toBe(true);
    expect(throttle.claimRecording('org_a', 'other', 'net1')).toBe(true);
    throttle.recordingFailed('org_a', 'app', 'net2');
    expect(throttle.claimRecording('org_a', 'app', 'net2')).toBe(true);
    now = AUTH_NETWORK_REFRESH_MS - 1;
    expect(throttle.claimRecording('org_a', 'app', 'net1')).toBe(false);
    now = AUTH_NETWORK_REFRESH_MS;
    expect(throttle.claimRecording('org_a', 'app', 'net1')).toBe(true);
  });

  it('tells which networks it wrote for a client, for as long as they are usual networks', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, networkOf });
    throttle.claimRecording('org_a', 'app', 'net1');
    expect(throttle.recordedRecently('org_a', 'app', 'net1')).toBe(true);
    expect(throttle.recordedRecently('org_a', 'app', 'net2')).toBe(false);
    expect(throttle.recordedRecently('org_b', 'app', 'net1')).toBe(false);
    now = AUTH_NETWORK_TTL_MS;
    expect(throttle.recordedRecently('org_a', 'app', 'net1')).toBe(false);
  });

  // Regression (security review of issue 9 item 7, finding 7): locked entries expired only when
  // looked up again, so after the first lockout every check computed the network's key for good.
  it('sweeps expired lockouts away: once the last one is over, a check computes no network key', () => {
    let now = 0;
    let computed = 0;
    const counting = (ip: string): string => {
      computed++;
      return networkOf(ip);
    };
    const throttle = createClientAuthThrottle(() => now, { limits, networkOf: counting });
    for (let i = 0; i < 5; i++) throttle.failed('org_a', 'app', '192.0.2.1');
    expect(throttle.networkRefused('192.0.2.1')).toBe(60);
    expect(throttle.clientRefused('org_a', 'app')).toBe(60);
    now = 60_000;
    computed = 0;
    for (let i = 0; i < 100; i++) expect(throttle.networkRefused(`198.51.100.${i}`)).toBeUndefined();
    expect(throttle.clientRefused('org_a', 'app')).toBeUndefined();
    expect(computed).toBe(0);
  });

  it('reports the first refusal of a lockout only, the network first, until a new lockout', () => {
    let now = 0;
    const throttle = createClientAuthThrottle(() => now, { limits, networkOf });
    expect(throttle.firstRefusal('org_a', 'app', '192.0.2.1')).toBe(false);
    for (let i = 0; i < 3; i++) throttle.failed('org_a', 'app', `198.51.100.${i}`);
    expect(throttle.firstRefusal('org_a', 'app', '192.0.2.1')).toBe(true);
    expect(throttle.firstRefusal('org_a', 'app', '192.0.2.2')).toBe(false);
    for (let i = 0; i < 5; i++) throttle.failed('org_a', undefined, '192.0.2.9');
    expect(throttle.firstRefusal('org_a', 'app', '192.0.2.9')).toBe(true);
    expect(throttle.firstRefusal('org_a', 'other', '192.0.2.9')).toBe(false);
    now = 120_000;
    for (let i = 0; i < 3; i++) throttle.failed('org_a', 'app', '198.51.100.1');
    expect(throttle.firstRefusal('org_a', 'app', '192.0.2.1')).toBe(true);
  });
});
