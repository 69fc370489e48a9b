import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address is counted as, for every per-client-IP limit (sign-in, API
 * authentication, client authentication, registration, pending sign-ins).
 *
 * An IPv4 client is one address. An IPv6 client is usually given a whole /64 (RFC 6177; SLAAC
 * and privacy addresses, RFC 8981, rotate through it), so counting exact addresses would give it
 * 2^64 fresh quotas: it is counted by its first `ipv6PrefixBits` bits instead. An IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports) is its IPv4 address.
 *
 * The key is canonical: every spelling of one network (`2001:DB8::1`, `2001:db8:0:0::2`) gives
 * the same string. Anything that is not an IP address (a test's fake address) is returned as is.
 */
export function clientNetworkKey(ip: string, ipv6PrefixBits: number): string {
  if (isIPv4(ip)) return ip;
  const zoneless = ip.split('%', 1)[0]!;
  if (!isIPv6(zoneless)) return ip;
  const words = ipv6Words(zoneless);
  if (isIpv4Mapped(words)) return `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
  const masked = words.map((word, index) => {
    const bitsLeft = ipv6PrefixBits - index * 16;
    if (bitsLeft >= 16) return word;
    if (bitsLeft <= 0) return 0;
    return word & (0xffff << (16 - bitsLeft)) & 0xffff;
  });
  return `${masked.map((word) => word.toString(16)).join(':')}/${ipv6PrefixBits}`;
}

/** The eight 16-bit words of a valid IPv6 address (with `::` expanded and a dotted IPv4 tail read). */
function ipv6Words(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const headWords = head === '' ? [] : head.split(':');
  const tailWords = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headWords.length - tailWords.length).fill('0');
  return [...headWords, ...zeros, ...tailWords].map((word) => Number.parseInt(word, 16));
}

function isIpv4Mapped(words: readonly number[]): boolean {
  return words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff;
}

/** Addresses whose network name a `cachedNetworkNames` function remembers, the oldest forgotten first. */
const NETWORK_NAMES_CACHED = 10_000;

/**
 * `name(clientNetworkKey(ip))` for each client address, remembered for the last addresses seen:
 * the name is a keyed hash (the store knows networks only by pseudonyms), which a hot endpoint
 * should not compute again at every request from the same client.
 */
export function cachedNetworkNames(ipv6PrefixBits: number, name: (networkKey: string) => string): (ip: string) => string {
  const names = new Map<string, string>();
  return (ip) => {
    let named = names.get(ip);
    if (named === undefined) {
      named = name(clientNetworkKey(ip, ipv6PrefixBits));
      if (names.size >= NETWORK_NAMES_CACHED) names.delete(names.keys().next().value as string);
      names.set(ip, named);
    }
    return named;
  };
}
