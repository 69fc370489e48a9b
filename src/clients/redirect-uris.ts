import { collectInvalid, InvalidInputError, throwIfInvalid } from '../lib/errors.ts';

export type ClientType = 'confidential' | 'public';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** RFC 8252 §7.3 loopback hosts. `localhost` is allowed (RFC 8252 says NOT RECOMMENDED, not forbidden). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
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
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) throw new InvalidInputError(field, `'${uri}' contains white space or control characters`);
  if (uri.includes('*')) throw new InvalidInputError(field, `'${uri}' contains a wildcard; register every URI exactly`);
  if (uri.includes('#')) throw new InvalidInputError(field, `'${uri}' has a fragment, which redirect URIs must not have (RFC 6749 §3.1.2)`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidInputError(field, `'${uri}' is not an absolute URI`);
  }
  if (url.username !== '' || url.password !== '') throw new InvalidInputError(field, `'${uri}' must not contain user info`);
  if (url.protocol === 'https:') return uri;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return uri;
    throw new InvalidInputError(field, `'${uri}' uses http on a non-loopback host; use https (http is allowed on 127.0.0.1, [::1] and localhost only)`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (clientType === 'public' && /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return uri;
  throw new InvalidInputError(
    field,
    `'${uri}' uses the scheme '${scheme}'; use https, http on loopback, or (public native clients only) a reverse-domain private-use scheme such as com.example.app`,
  );
}

/** Checks a list of URIs, naming every bad one (InvalidInputsError), and removes exact duplicates, keeping the order. */
export function checkRedirectUris(uris: readonly string[], clientType: ClientType, field: string): string[] {
  const errors: InvalidInputError[] = [];
  const checked = uris.map((uri) => collectInvalid(errors, () => checkRedirectUri(uri, clientType, field)));
  throwIfInvalid(errors);
  return [...new Set(checked as string[])];
}
