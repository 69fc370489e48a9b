import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBase64url } from '../lib/random.ts';
import { constantTimeEqual, hashSecret } from '../lib/secrets.ts';
import type { RawParams } from '../lib/url-encoded.ts';

/** The constituent's single sign-on session at one organization (HttpOnly, path-scoped to the org). */
export const SSO_COOKIE = 'gh_session';
/** A staff user's session at one organization: distinct from the constituents' SSO cookie. */
export const STAFF_COOKIE = 'gh_staff';
/**
 * Device cookies (accounts/device-cookies.ts): the accounts that signed in on this browser, so
 * that their sign-ins here escape the lockout others can cause. One for constituents, one for
 * staff; set with orgCookieOptions and DEVICE_COOKIE_LIFETIME_SECONDS.
 */
export const DEVICE_COOKIE = 'gh_device';
export const STAFF_DEVICE_COOKIE = 'gh_staff_device';
/** Values of one cookie name read at most (see cookieValues). */
const MAX_COOKIE_VALUES = 4;

/**
 * Every value the Cookie header carries under `name`, in its order, at most four. A browser sends
 * one cookie per name and path, longest path first (RFC 6265 §5.4), and a related domain may set
 * one for a longer path: reading only the first, as the cookie parser does, would let it hide the
 * real one (cookie shadowing). For the device cookies, where each value is worth trying.
 */
export function cookieValues(request: FastifyRequest, name: string): string[] {
  const header = request.headers.cookie;
  if (header === undefined) return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue;
    const value = pair.slice(equals + 1).trim();
    values.push(value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
    if (values.length === MAX_COOKIE_VALUES) break;
  }
  return values;
}

/** A random per-browser value that ties interactions (sign-in, consent) to the browser that started them. */
export const BROWSER_COOKIE = 'gh_browser';

/**
 * Cookie options for an organization's cookies: only sent to `/o/<slug>` (so organizations never
 * see each other's cookies), HttpOnly, SameSite=Lax (sent on the top-level navigation from an
 * app to the authorization endpoint, never on cross-site POSTs), Secure behind https.
 */
export function orgCookieOptions(publicUrl: string, slug: string, maxAgeSeconds?: number): CookieSerializeOptions {
  const base = new URL(publicUrl);
  const path = `${base.pathname.replace(/\/$/, '')}/o/${slug}`;
  return {
    path,
    httpOnly: true,
    sameSite: 'lax',
    secure: base.protocol === 'https:',
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

/**
 * The browser-binding cookie of this org, set now when absent. Interactions and forms are tied to
 * it, so a request forged in another browser (login CSRF) finds nothing of its own.
 */
export function ensureBrowserCookie(request: FastifyRequest, reply: FastifyReply, publicUrl: string, slug: string): string {
  const existing = request.cookies[BROWSER_COOKIE];
  if (existing !== undefined && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
  const value = randomBase64url(32);
  reply.setCookie(BROWSER_COOKIE, value, orgCookieOptions(publicUrl, slug));
  // Visible to the rest of this request too.
  request.cookies[BROWSER_COOKIE] = value;
  return value;
}

/**
 * A CSRF token for the forms of `purpose` in this browser: derived from the binding cookie,
 * which a cross-site attacker can neither read nor set. Checked with constantTimeEqual.
 */
export function csrfTokenFor(bindingCookie: string, purpose: string): string {
  return hashSecret(`${purpose}:${bindingCookie}`);
}

/** True when the form carries exactly one csrf_token and it is `expected` (constant-time). */
export function csrfMatches(form: RawParams, expected: string): boolean {
  const values = form.get('csrf_token');
  return values?.length === 1 && constantTimeEqual(values[0]!, expected);
}
