import type { IncomingHttpHeaders } from 'node:http';

// Which headers cross the proxy, each way. Hop-by-hop headers belong to one connection and are
// never forwarded (RFC 9110 §7.6.1: Connection and every header it names, plus Keep-Alive, TE,
// Trailer, Transfer-Encoding, Upgrade and Proxy-*); the framing is the outbound client's and
// Node's to set. Towards the provider, the caller's own credentials (Authorization: its
// Gatehouse API key; Cookie) and Host never go; back to the caller, nothing that would speak for
// Gatehouse's origin (Set-Cookie, CSP, HSTS, CORS…), and a sandbox policy of our own.

const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Never sent to the provider: the caller's credentials, the target's own Host and the body's framing (set for the body sent), Expect (the client's to manage). */
const NOT_FORWARDED: ReadonlySet<string> = new Set(['authorization', 'cookie', 'host', 'content-length', 'expect']);

/**
 * Never passed back: headers that speak for the origin serving the answer, which is Gatehouse's,
 * not the provider's: its cookies, its policies (CSP, HSTS, CORS, Clear-Site-Data, Alt-Svc…).
 * A provider's Clear-Site-Data would clear a browser's Gatehouse session, its HSTS would bind
 * Gatehouse's host, its CORS headers would open Gatehouse's API to other sites.
 */
const NOT_RETURNED: ReadonlySet<string> = new Set([
  'set-cookie',
  'set-cookie2',
  'content-security-policy',
  'content-security-policy-report-only',
  'strict-transport-security',
  'clear-site-data',
  'alt-svc',
  'origin-agent-cluster',
  'public-key-pins',
  'public-key-pins-report-only',
]);
const NOT_RETURNED_PREFIXES: readonly string[] = ['access-control-', 'cross-origin-', 'gatehouse-'];

/**
 * What every proxied answer says instead of the provider's policy: whatever the provider sends
 * (an HTML page, an SVG), a browser that opens the proxy's URL renders it in a sandbox, an opaque
 * origin with no script, so it can reach nothing of Gatehouse's origin (W3C CSP3 §6.3.2 sandbox).
 */
export const PROXIED_ANSWER_POLICY = Object.freeze({ 'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'" });

type HeaderValues = Record<string, string | readonly string[]>;

/** The caller's headers to forward: all but the hop-by-hop ones, its credentials, Host and Gatehouse's own (`gatehouse-*`). */
export function forwardedRequestHeaders(incoming: IncomingHttpHeaders): HeaderValues {
  const named = namedByConnection(incoming.connection);
  return pick(incoming, (name) => !isHopByHop(name, named) && !NOT_FORWARDED.has(name) && !name.startsWith('gatehouse-'));
}

/**
 * The provider's headers to pass back: all but the hop-by-hop ones, those that speak for the
 * serving origin, and any `gatehouse-*` (a provider must not pass for Gatehouse); with
 * PROXIED_ANSWER_POLICY.
 */
export function returnedResponseHeaders(upstream: IncomingHttpHeaders): HeaderValues {
  const named = namedByConnection(upstream.connection);
  const kept = pick(upstream, (name) => !isHopByHop(name, named) && !NOT_RETURNED.has(name) && !NOT_RETURNED_PREFIXES.some((prefix) => name.startsWith(prefix)));
  return { ...kept, ...PROXIED_ANSWER_POLICY };
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
