import { isIPv4, isIPv6 } from 'node:net';

/** The one network of every client address that cannot be read: they share a single count. */
export const UNPARSABLE_NETWORK = 'unparsable';

/**
 * The network a client address is counted as, for every per-client-IP limit (sign-in, API
 * authentication, client authentication, registration, pending sign-ins).
 *
 * An IPv4 client is one address. An IPv6 client is usually given a whole /64 (RFC 6177; SLAAC
 * and privacy addresses, RFC 8981, rotate through it), so counting exact addresses would give it
 * 2^64 fresh quotas: it is counted by its first `ipv6PrefixBits` bits instead. An IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports) and a NAT64 address of the
 * well-known prefix (`64:ff9b::192.0.2.1`, RFC 6052 §2.1) are the IPv4 address they carry.
 *
 * The key is canonical: every spelling of one network (`2001:DB8::1`, `2001:db8:0:0::2`) gives
 * the same string. A proxy may forward an address with a port or in brackets (`192.0.2.1:1234`,
 * `[2001:db8::1]`, `[2001:db8::1]:443`, RFC 7239 §6): those are read as the address. Anything
 * still not an address is UNPARSABLE_NETWORK, one network for all of them: returned as it came,
 * every varied spelling would be a fresh quota, and the per-IP limits would vanish.
 */
export function clientNetworkKey(ip: string, ipv6PrefixBits: number): string {
  const address = addressIn(ip);
  if (address === undefined) return UNPARSABLE_NETWORK;
  if (isIPv4(address)) return address;
  const words = ipv6Words(address);
  if (carriesIpv4(words)) return `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
  const masked = words.map((word, index) => {
    const bitsLeft = ipv6PrefixBits - index * 16;
    if (bitsLeft >= 16) return word;
    if (bitsLeft <= 0) return 0;
    return word & (0xffff << (16 - bitsLeft)) & 0xffff;
  });
  return `${masked.map((word) => word.toString(16)).join(':')}/${ipv6PrefixBits}`;
}

const IPV4_WITH_PORT = /^([0-9.]+):[0-9]{1,5}$/;
const BRACKETED = /^\[([^\]]+)\](?::[0-9]{1,5})?$/;

/** The IPv4 address, or the IPv6 address without its zone, in `text`: bare, with a port, or in brackets; undefined when there is none. */
function addressIn(text: string): string | undefined {
  if (isIPv4(text)) return text;
  const withPort = IPV4_WITH_PORT.exec(text);
  if (withPort !== null) return isIPv4(withPort[1]!) ? withPort[1]! : undefined;
  const inside = BRACKETED.exec(text)?.[1] ?? text;
  const zoneless = inside.split('%', 1)[0]!;
  return isIPv6(zoneless) ? zoneless : undefined;
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

/** An IPv4-mapped address (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) or one of NAT64's well-known prefix (`64:ff9b::/96`, RFC 6052 §2.1). */
function carriesIpv4(words: readonly number[]): boolean {
  const mapped = words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff;
  const nat64 = words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((word) => word === 0);
  return mapped || nat64;
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
