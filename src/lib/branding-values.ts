// The rules of what an organization's branding may hold, pure: the org's settings are validated
// with them when they are written (orgs/branding.ts) and the page kit applies them again when it
// renders (http/html.ts), which sits below every capability.

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
/** A DNS name (after URL parsing: lowercase, punycode). No IP literals: a CSP host-source cannot name an IPv6 one. */
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
export const MAX_LOGO_URL_LENGTH = 2048;

export function isHexColor(value: unknown): value is string {
  return typeof value === 'string' && HEX_COLOR.test(value);
}

/**
 * The logo URL, normalized, if it is one the pages may show: `https:` (never `http:`,
 * `javascript:`, `data:`), a DNS host name, no user name or password in it. Else undefined.
 */
export function normalizeLogoUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LOGO_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || !HOST.test(url.hostname)) return undefined;
  return url.href;
}
