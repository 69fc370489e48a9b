import type { IncomingHttpHeaders } from 'node:http';

// Which headers cross the proxy, each way. Hop-by-hop headers belong to one connection and are
// never forwarded (RFC 9110 §7.6.1: Connection and every header it names, plus Keep-Alive, TE,
// Trailer, Transfer-Encoding, Upgrade and Proxy-*); the framing is the outbound client's and
// Node's to set. Towards the provider, the caller's own credentials (Authorization: its
// Gatehouse API key; Cookie) and Host never go; back to the caller, no Set-Cookie: the
// provider's cookies are for the hub's session with it, not the caller's.

const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Never sent to the provider: the caller's credentials, the target's own Host and the body's framing (set for the body sent), Expect (the client's to manage). */
const NOT_FORWARDED: ReadonlySet<string> = new Set(['authorization', 'cookie', 'host', 'content-length', 'expect']);

/** Never passed back: the provider's cookies, and framing the server sets for what it sends. */
const NOT_RETURNED: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

type HeaderValues = Record<string, string | readonly string[]>;

/** The caller's headers to forward: all but the hop-by-hop ones, its credentials, Host and Gatehouse's own (`gatehouse-*`). */
export function forwardedRequestHeaders(incoming: IncomingHttpHeaders): HeaderValues {
  const named = namedByConnection(incoming.connection);
  return pick(incoming, (name) => !isHopByHop(name, named) && !NOT_FORWARDED.has(name) && !name.startsWith('gatehouse-'));
}

/** The provider's headers to pass back: all but the hop-by-hop ones, Set-Cookie, and any `gatehouse-*` (a provider must not pass for Gatehouse). */
export function returnedResponseHeaders(upstream: IncomingHttpHeaders): HeaderValues {
  const named = namedByConnection(upstream.connection);
  return pick(upstream, (name) => !isHopByHop(name, named) && !NOT_RETURNED.has(name) && !name.startsWith('gatehouse-'));
}

function isHopByHop(name: string, namedByConnectionHeader: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || namedByConnectionHeader.has(name);
}

function namedByConnection(connection: string | string[] | undefined): ReadonlySet<string> {
  const values = connection === undefined ? [] : typeof connection === 'string' ? [connection] : connection;
  return new Set(values.flatMap((value) => value.split(',')).map((name) => name.trim().toLowerCase()).filter((name) => name !== ''));
}

function pick(headers: IncomingHttpHeaders, keep: (name: string) => boolean): HeaderValues {
  const kept: HeaderValues = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !keep(name.toLowerCase())) continue;
    kept[name.toLowerCase()] = value;
  }
  return kept;
}
