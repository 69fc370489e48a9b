import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { OutboundNetworkError, OutboundRefused } from './outbound-errors.ts';
import { judgeAddress } from './public-address.ts';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Every address of a host name (node:dns `lookup`, the system resolver, by default). */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** A URL Gatehouse may call, as far as its text goes; its addresses are judged once resolved. */
export interface Destination {
  readonly url: URL;
  readonly secure: boolean;
  /** The host to connect as (TLS server name, Host header): brackets removed from an IPv6 literal. */
  readonly hostname: string;
  /** Origin and path, the only part of the URL an error or a log says. */
  readonly described: string;
}

/** Scheme, host, port and path: no credentials, query or fragment (where secrets and customers' data go). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Reads and checks the URL of a call: absolute, https: (or http: when private networks are allowed), no credentials. */
export function parseDestination(raw: string | URL, options: { readonly allowPrivateNetwork: boolean }): Destination {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The text is not quoted: it may hold a secret in a query string.
    throw new OutboundRefused('(unparsable URL)', 'url', 'not an absolute URL');
  }
  const described = describeUrl(url);
  const allowed = options.allowPrivateNetwork ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) {
    const hint = url.protocol === 'http:' ? ' (OUTBOUND_ALLOW_PRIVATE_NETWORK=true allows http: for development)' : '';
    throw new OutboundRefused(described, 'scheme', `only ${allowed.join(' and ')} URLs are called, not ${url.protocol}${hint}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new OutboundRefused(described, 'credentials_in_url', 'the URL carries credentials; send them in a header');
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { url, secure: url.protocol === 'https:', hostname, described };
}

/**
 * The addresses to connect to, every one of them judged public (unless private networks are
 * allowed): a host name is resolved once, here, at the time of the call, and the connection goes
 * to these very addresses (pinnedLookup), so a DNS answer that changes in between (rebinding)
 * cannot send it elsewhere. One non-public address refuses the whole host: which address a
 * connection would try first is not ours to predict.
 */
export async function addressesToCall(destination: Destination, options: { readonly allowPrivateNetwork: boolean; readonly resolveHost: ResolveHost }): Promise<readonly ResolvedAddress[]> {
  const { hostname, described } = destination;
  const literal = isIP(hostname);
  const addresses: readonly ResolvedAddress[] = literal !== 0 ? [{ address: hostname, family: literal === 4 ? 4 : 6 }] : await resolve(destination, options.resolveHost);
  if (options.allowPrivateNetwork) return addresses;
  for (const { address } of addresses) {
    const verdict = judgeAddress(address);
    if (!verdict.public) {
      const subject = literal !== 0 ? 'the address' : `${hostname} resolves to an address that`;
      throw new OutboundRefused(described, 'address', `${subject} is not public: ${verdict.range} (OUTBOUND_ALLOW_PRIVATE_NETWORK=true allows it for development)`, { address });
    }
  }
  return addresses;
}

async function resolve(destination: Destination, resolveHost: ResolveHost): Promise<readonly ResolvedAddress[]> {
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await resolveHost(destination.hostname);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'ENOTFOUND';
    throw new OutboundNetworkError(destination.described, reason, `${destination.hostname} could not be resolved`, { cause: error });
  }
  if (addresses.length === 0) throw new OutboundNetworkError(destination.described, 'ENOTFOUND', `${destination.hostname} has no address`);
  return addresses;
}

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every address in its order. */
export const systemResolveHost: ResolveHost = async (hostname) => {
  const found = await lookup(hostname, { all: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/**
 * A `lookup` for node:net that answers with the addresses already judged, whatever the name:
 * the connection neither resolves again nor reaches an address that was not checked.
 * Node asks for all of them (`all: true`) when it races IPv6 and IPv4 (autoSelectFamily).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const first = usable[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`no checked IPv${String(family)} address`);
      error.code = 'ENOTFOUND';
      callback(error, '');
    } else if (options.all === true) {
      callback(null, usable.map(({ address, family }) => ({ address, family })));
    } else {
      callback(null, first.address, first.family);
    }
  };
}
