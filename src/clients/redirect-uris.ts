import { collectInvalid, InvalidInputError, throwIfInvalid } from '../lib/errors.ts';
import type { ClientType } from './client.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** RFC 8252 §7.3 loopback hosts. `localhost` is allowed (RFC 8252 says NOT RECOMMENDED, not forbidden). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** An IPv6 host (as URL writes it, bracketed) that reaches this machine: ::1, ::, or an IPv4-mapped 127.0.0.0/8 or 0.0.0.0. */
const LOCAL_IPV6_HOST = /^\[(?:::1|::|::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}|::ffff:0:0)\]$/;

/**
 * Whether a URI's host is this machine, whatever the scheme: a host every program on the device
 * can listen on, so a redirect to it proves nothing of who receives it. Loopback addresses
 * (127.0.0.0/8, ::1, and IPv4-mapped ::ffff:127.0.0.0/104), `localhost` and its subdomains (RFC
 * 6761 §6.3: they resolve to loopback), and the unspecified addresses 0.0.0.0 and ::, which a
 * connection takes to this machine on Linux and macOS. `hostname` as URL gives it: IPv4 in dotted
 * decimal (the WHATWG parser rewrites 127.1, 0x7f.0.0.1 and 2130706433), IPv6 bracketed,
 * compressed and lowercase; a trailing dot (`localhost.`) names the same host.
 */
export function isLocalMachineHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '0.0.0.0') return true;
  return LOCAL_IPV6_HOST.test(host);
}

/**
 * Checks a redirect or post-logout redirect URI a client registers. Matching at the authorization
 * endpoint is by exact string (RFC 9700 §4.1.3), so registration is where URIs are judged:
 * - absolute, at most 2000 characters, no fragment (RFC 6749 §3.1.2), no user info, no wildcard;
 * - `https:` anywhere; `http:` only on a loopback host (RFC 8252 §7.3; RFC 9700 §2.6);
 * - a private-use scheme in reverse-domain form (`com.example.app:/cb`, RFC 8252 §7.1) only for
 *   public (native) clients.
 * Returns the URI unchanged: it is stored exactly as given, since it is compared exactly.
 */
export function checkRedirectUri(uri: string, clientType: ClientType, field = 'redirect_uris'): string {
  if (uri.length === 0 || uri.length > 2000) throw new InvalidInputError(field, 'each URI must be 1 to 2000 characters');
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) throw new InvalidInputError(field, `'${uri}' contains white space or control characters`, { rule: 'a URI contains white space or control characters' });
  if (uri.includes('*')) throw new InvalidInputError(field, `'${uri}' contains a wildcard; register every URI exactly`, { rule: 'a URI contains a wildcard; register every URI exactly' });
  if (uri.includes('#')) throw new InvalidInputError(field, `'${uri}' has a fragment, which redirect URIs must not have (RFC 6749 §3.1.2)`, { rule: 'a URI has a #fragment, which redirect URIs must not have (RFC 6749 §3.1.2)' });
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidInputError(field, `'${uri}' is not an absolute URI`, { rule: 'a URI is not absolute (scheme, host and path, such as https://app.example.org/callback)' });
  }
  if (url.username !== '' || url.password !== '') throw new InvalidInputError(field, `'${uri}' must not contain user info`, { rule: 'a URI contains user info (a name or password before @), which it must not' });
  if (url.protocol === 'https:') return uri;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return uri;
    throw new InvalidInputError(field, `'${uri}' uses http on a non-loopback host; use https (http is allowed on 127.0.0.1, [::1] and localhost only)`, {
      rule: 'a URI uses http on a host that is not loopback; use https (http is allowed on 127.0.0.1, [::1] and localhost only)',
    });
  }
  const scheme = url.protocol.slice(0, -1);
  if (clientType === 'public' && /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return uri;
  throw new InvalidInputError(
    field,
    `'${uri}' uses the scheme '${scheme}'; use https, http on loopback, or (public native clients only) a reverse-domain private-use scheme such as com.example.app`,
    { rule: 'a URI uses a scheme not allowed here; use https, http on loopback, or (public native clients only) a reverse-domain private-use scheme such as com.example.app' },
  );
}

/** Most URIs a client may have in one list (redirect_uris, post_logout_redirect_uris): the management API's maxItems. */
export const MAX_CLIENT_URIS = 50;

/**
 * Checks a list of URIs, naming every bad one (InvalidInputsError), and removes exact duplicates,
 * keeping the order. A list longer than `max` (default MAX_CLIENT_URIS) is refused by its count
 * alone, none of its items judged: each costs a URL parse and, when bad, an error, and anyone may
 * send thousands to the registration endpoint (16,000 took 140 ms of CPU where one takes 2).
 */
export function checkRedirectUris(uris: readonly string[], clientType: ClientType, field: string, options: { readonly max?: number } = {}): string[] {
  const max = options.max ?? MAX_CLIENT_URIS;
  if (uris.length > max) throw new InvalidInputError(field, `must list at most ${max} URIs`);
  const errors: InvalidInputError[] = [];
  const checked = uris.map((uri) => collectInvalid(errors, () => checkRedirectUri(uri, clientType, field)));
  throwIfInvalid(errors);
  return [...new Set(checked as string[])];
}
