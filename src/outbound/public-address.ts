import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether Gatehouse may call an address on a provider's behalf: only a public unicast address.
 * When it may not, `range` names the range it falls in and the RFC behind it, for the error.
 */
export type AddressVerdict = { readonly public: true } | { readonly public: false; readonly range: string };

const PUBLIC: AddressVerdict = Object.freeze({ public: true });

// The ranges ipaddr.js names (docs/decisions/0008), said for a person. A name missing here (a
// newer ipaddr.js) is still refused: only 'unicast' is public, whatever else the library knows.
const IPV4_RANGES: Readonly<Record<string, string>> = {
  unspecified: "'this network' 0.0.0.0/8 (RFC 1122 §3.2.1.3)",
  broadcast: 'limited broadcast 255.255.255.255 (RFC 919)',
  multicast: 'multicast 224.0.0.0/4 (RFC 5771)',
  linkLocal: 'link-local 169.254.0.0/16 (RFC 3927; cloud metadata services live there)',
  loopback: 'loopback 127.0.0.0/8 (RFC 1122)',
  carrierGradeNat: 'shared address space 100.64.0.0/10 (RFC 6598, carrier-grade NAT)',
  private: 'private 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)',
  reserved: 'reserved, documentation or benchmarking (RFC 6890, RFC 5737, RFC 2544)',
  as112: 'AS112 (RFC 7534, RFC 7535)',
  amt: 'AMT relay anycast (RFC 7450)',
};

const IPV6_RANGES: Readonly<Record<string, string>> = {
  unspecified: 'unspecified :: (RFC 4291)',
  loopback: 'loopback ::1 (RFC 4291)',
  linkLocal: 'link-local fe80::/10 (RFC 4291)',
  multicast: 'multicast ff00::/8 (RFC 4291)',
  uniqueLocal: 'unique local fc00::/7 (RFC 4193)',
  deprecatedSiteLocal: 'site-local fec0::/10 (RFC 3879)',
  discard: 'discard-only 100::/64 (RFC 6666)',
  teredo: 'Teredo 2001::/32 (RFC 4380; the IPv4 address it reaches cannot be judged)',
  benchmarking: 'benchmarking 2001:2::/48 (RFC 5180)',
  amt: 'AMT 2001:3::/32 (RFC 7450)',
  as112v6: 'AS112 (RFC 7534, RFC 7535)',
  deprecatedOrchid: 'ORCHID 2001:10::/28 (RFC 4843)',
  orchid2: 'ORCHIDv2 2001:20::/28 (RFC 7343)',
  droneRemoteIdProtocolEntityTags: 'DRIP entity tags 2001:30::/28 (RFC 9374)',
  segmentRouting: 'segment routing 5f00::/16 (RFC 9602)',
  reserved: 'reserved or documentation 2001::/23, 2001:db8::/32, 3fff::/20 (RFC 2928, RFC 3849, RFC 9637)',
};

/**
 * Judges one IP address (IPv4 dotted quad or IPv6, as `dns.lookup` returns them or a URL's host
 * spells them, brackets removed). Refused: everything but public unicast. An IPv6 address that
 * carries an IPv4 address (IPv4-mapped, IPv4-translated, NAT64's well-known prefix, 6to4) is the
 * IPv4 address it reaches, so `::ffff:127.0.0.1` is loopback and `64:ff9b::8.8.8.8` is public
 * (what DNS64 answers in an IPv6-only deployment).
 */
export function judgeAddress(address: string): AddressVerdict {
  const version = isIP(address);
  if (version === 0) return { public: false, range: 'not an IP address' };
  return version === 4 ? judgeIpv4(ipaddr.IPv4.parse(address)) : judgeIpv6(ipaddr.IPv6.parse(hexadecimal(address)));
}

/**
 * The address with no dotted IPv4 tail and no zone, as WHATWG URL serializes it. ipaddr.js reads
 * `::8.8.8.8` (IPv4-compatible, `::808:808`) as `::ffff:8.8.8.8` (IPv4-mapped), another address:
 * it is given only the form it reads right.
 */
function hexadecimal(ipv6: string): string {
  const zoneless = ipv6.split('%', 1)[0]!;
  return new URL(`http://[${zoneless}]/`).hostname.slice(1, -1);
}

function judgeIpv4(address: ipaddr.IPv4): AddressVerdict {
  const range = address.range();
  if (range === 'unicast') return PUBLIC;
  return { public: false, range: IPV4_RANGES[range] ?? range };
}

function judgeIpv6(address: ipaddr.IPv6): AddressVerdict {
  const range = address.range();
  const words = address.parts;
  switch (range) {
    case 'ipv4Mapped': // ::ffff:0:0/96 (RFC 4291 §2.5.5.2)
    case 'rfc6145': // ::ffff:0:0:0/96, IPv4-translated (RFC 6145)
      return throughIpv4(lastIpv4Of(words), 'an IPv4-mapped or -translated address');
    case 'rfc6052':
      // 64:ff9b::/96 carries the IPv4 address in its last 32 bits (RFC 6052 §2.1); the
      // local-use 64:ff9b:1::/48 (RFC 8215) is this network's own translator, its layout unknown.
      if (words.slice(2, 6).every((word) => word === 0)) return throughIpv4(lastIpv4Of(words), 'a NAT64 address (64:ff9b::/96)');
      return { public: false, range: 'local-use NAT64 64:ff9b:1::/48 (RFC 8215)' };
    case '6to4': // 2002:AABB:CCDD::/48 reaches AA.BB.CC.DD (RFC 3056 §2)
      return throughIpv4(ipv4Of(words[1]!, words[2]!), 'a 6to4 address (2002::/16)');
    case 'unicast':
      break;
    default:
      return { public: false, range: IPV6_RANGES[range] ?? range };
  }
  if (words.slice(0, 6).every((word) => word === 0)) {
    return { public: false, range: 'IPv4-compatible ::/96 (deprecated, RFC 4291 §2.5.5.1)' };
  }
  // Global unicast is 2000::/3 (RFC 4291 §2.4); everything else is unassigned or reserved by the IETF.
  if ((words[0]! & 0xe000) !== 0x2000) return { public: false, range: 'outside global unicast 2000::/3 (RFC 4291)' };
  return PUBLIC;
}

function throughIpv4(carried: ipaddr.IPv4, form: string): AddressVerdict {
  const verdict = judgeIpv4(carried);
  return verdict.public ? verdict : { public: false, range: `${verdict.range}, inside ${form}` };
}

function lastIpv4Of(words: readonly number[]): ipaddr.IPv4 {
  return ipv4Of(words[6]!, words[7]!);
}

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}
