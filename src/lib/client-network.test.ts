import { describe, expect, it } from 'vitest';
import { clientNetworkKey, UNPARSABLE_NETWORK } from './client-network.ts';

describe('clientNetworkKey', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientNetworkKey('192.0.2.7', 64)).toBe('192.0.2.7');
  });

  it('counts every address of one IPv6 /64 as one network, whatever its spelling', () => {
    const keys = ['2001:db8:1:2::1', '2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0:0:0:9', '2001:db8:1:2::a%eth0'].map((ip) => clientNetworkKey(ip, 64));
    expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2:0:0:0:0/64']));
  });

  it('tells neighbouring /64s apart', () => {
    expect(clientNetworkKey('2001:db8:1:2::1', 64)).not.toBe(clientNetworkKey('2001:db8:1:3::1', 64));
  });

  it('takes a prefix that is not a multiple of 16', () => {
    expect(clientNetworkKey('2001:db8:abcd:ffff::1', 56)).toBe('2001:db8:abcd:ff00:0:0:0:0/56');
    expect(clientNetworkKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientNetworkKey('::ffff:192.0.2.7', 64)).toBe('192.0.2.7');
    expect(clientNetworkKey('::ffff:c000:207', 64)).toBe('192.0.2.7');
  });

  it('expands a leading, trailing or absent ::', () => {
    expect(clientNetworkKey('::1', 64)).toBe('0:0:0:0:0:0:0:0/64');
    expect(clientNetworkKey('fe80::', 64)).toBe('fe80:0:0:0:0:0:0:0/64');
    expect(clientNetworkKey('1:2:3:4:5:6:7:8', 64)).toBe('1:2:3:4:0:0:0:0/64');
  });

  it('reads a NAT64 address of the well-known prefix as the IPv4 address it carries', () => {
    expect(clientNetworkKey('64:ff9b::192.0.2.7', 64)).toBe('192.0.2.7');
    expect(clientNetworkKey('64:ff9b::c000:207', 64)).toBe('192.0.2.7');
    expect(clientNetworkKey('64:ff9b:1::c000:207', 64)).toBe('64:ff9b:1:0:0:0:0:0/64');
  });

  // Regression (security review of issue 9 item 4, finding 5): anything that was not a plain IP
  // was returned unchanged, so a proxy forwarding `ip:port` or a bracketed IPv6 address made every
  // request a fresh count, and every per-IP limit vanished.
  it('reads an address with a port, or in brackets, as the address', () => {
    expect(clientNetworkKey('198.51.100.1:1234', 64)).toBe('198.51.100.1');
    expect(clientNetworkKey('198.51.100.1:65535', 64)).toBe('198.51.100.1');
    for (const ip of ['[2001:db8:1:2::1]', '[2001:db8:1:2::1]:443', '[2001:DB8:1:2::ffff]:1', '[2001:db8:1:2::1%eth0]:80']) {
      expect(clientNetworkKey(ip, 64)).toBe('2001:db8:1:2:0:0:0:0/64');
    }
    expect(clientNetworkKey('[::ffff:192.0.2.7]:8080', 64)).toBe('192.0.2.7');
  });

  it('counts everything else that is not an address as one network', () => {
    for (const ip of ['not-an-ip', '', 'unknown', '198.51.100.1:', '198.51.100.256:80', '198.51.100.1:123456', '[2001:db8::1', '[not-an-ip]:80', '2001:db8::1:443:1:1:1:1:1', '_hidden']) {
      expect(clientNetworkKey(ip, 64)).toBe(UNPARSABLE_NETWORK);
    }
    expect(UNPARSABLE_NETWORK).toBe('unparsable');
  });
});
