import { describe, expect, it } from 'vitest';
import { judgeAddress } from './public-address.ts';

describe('judgeAddress', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.15.255.255', // just below 172.16/12
    '172.32.0.1', // just above it
    '100.63.255.255', // just below 100.64/10
    '100.128.0.1', // just above it
    '192.169.0.1',
    '169.253.255.255',
    '198.17.255.255',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:80e::200e',
    '::ffff:8.8.8.8', // IPv4-mapped, of a public address
    '64:ff9b::808:808', // NAT64 (DNS64) of 8.8.8.8
    '64:ff9b::8.8.8.8',
    '::ffff:808:808',
    '2002:808:808::1', // 6to4 of 8.8.8.8
  ])('%s is public', (address) => {
    expect(judgeAddress(address)).toEqual({ public: true });
  });

  it.each([
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'RFC 1918'],
    ['10.255.255.255', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.255', 'RFC 1918'],
    ['192.168.1.1', 'RFC 1918'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'RFC 6598'],
    ['100.127.255.255', 'RFC 6598'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['::', 'unspecified'],
    ['::1', 'loopback ::1'],
    ['fe80::1', 'link-local fe80::/10'],
    ['febf:ffff::1', 'link-local fe80::/10'],
    ['fc00::1', 'unique local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'Teredo'],
    ['2001:2::1', 'benchmarking'],
    ['3fff::1', 'RFC 9637'],
    ['5f00::1', 'segment routing'],
    ['4000::1', 'outside global unicast'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'], // not ::ffff:8.8.8.8, as ipaddr.js would read it
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::127.0.0.1', 'loopback 127.0.0.0/8 (RFC 1122), inside a NAT64'],
    ['fe80::1%eth0', 'link-local fe80::/10'],
    ['::ffff:127.0.0.1', 'loopback 127.0.0.0/8 (RFC 1122), inside an IPv4-mapped'],
    ['::ffff:7f00:1', 'loopback 127.0.0.0/8 (RFC 1122), inside an IPv4-mapped'],
    ['::ffff:10.0.0.1', 'RFC 1918'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0:7f00:1', 'loopback'], // IPv4-translated (RFC 6145)
    ['64:ff9b::7f00:1', 'loopback 127.0.0.0/8 (RFC 1122), inside a NAT64'],
    ['64:ff9b::a00:1', 'RFC 1918'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b:1::808:808', 'local-use NAT64'],
    ['2002:7f00:1::1', 'loopback 127.0.0.0/8 (RFC 1122), inside a 6to4'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:c0a8:101::1', 'RFC 1918'],
    ['localhost', 'not an IP address'],
    ['127.1', 'not an IP address'],
    ['', 'not an IP address'],
  ])('%s is refused as %s', (address, range) => {
    const verdict = judgeAddress(address);
    expect(verdict.public).toBe(false);
    expect(verdict.public ? '' : verdict.range).toContain(range);
  });
});
