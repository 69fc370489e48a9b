import { describe, expect, it } from 'vitest';
import { clientNetworkKey } from './client-network.ts';

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

  it('returns what is not an address unchanged', () => {
    expect(clientNetworkKey('not-an-ip', 64)).toBe('not-an-ip');
  });
});
