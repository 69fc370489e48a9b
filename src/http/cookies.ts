import type { CookieSerializeOptions } from '@fastify/cookie';

/** The constituent's single sign-on session at one organization (HttpOnly, path-scoped to the org). */
export const SSO_COOKIE = 'gh_session';
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
