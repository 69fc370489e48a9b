import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE_LIFETIME_SECONDS, type DeviceCookies } from '../accounts/device-cookies.ts';
import { THROTTLED, type SignInThrottle } from '../accounts/sign-in-throttle.ts';
import { recordAudit } from '../audit/audit.ts';
import { cookieValues, csrfMatches, csrfTokenFor, ensureBrowserCookie, orgCookieOptions, STAFF_COOKIE, STAFF_DEVICE_COOKIE } from '../http/cookies.ts';
import { renderErrorPage } from '../http/error-page.ts';
import { readForm } from '../http/forms.ts';
import { brandingOf, sendPage } from '../http/pages.ts';
import { OAUTH_PATHS } from '../oauth/endpoints.ts';
import { param } from '../oauth/params.ts';
import { endStaffSession, findStaffSession, signInStaff, startStaffSession } from '../staff/staff-sessions.ts';
import { renderStaffHomePage, renderStaffSignInPage } from './pages/staff-sign-in.ts';

export interface ConsoleDeps {
  readonly publicUrl: string;
  readonly throttle: SignInThrottle;
  /** Issues and recognises the staff device cookies (apart from the constituents'). */
  readonly devices: DeviceCookies;
}

const PAGE = { config: { answers: 'page' as const } };

/**
 * The staff console of one organization (under `/o/:slug/staff`), so far its sign-in, home and
 * sign-out pages. Staff have a cookie of their own (`gh_staff`), never the constituents' SSO
 * session. Errors are thrown, for the scope's page handler (answerPageError, which app.ts
 * registers on it).
 */
export function registerConsoleRoutes(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get('/staff/login', PAGE, async (request, reply) => {
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, request.org.org.slug);
    return sendPage(reply, signInPage(request, binding, { email: null, error: null }));
  });

  scope.post('/staff/login', PAGE, async (request, reply) => {
    const ctx = request.org;
    const form = await readForm(request);
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    if (!csrfMatches(form, csrfTokenFor(binding, 'staff-login'))) return sendPage(reply.code(400), signInPage(request, binding, { email: null, error: null }));
    const email = param(form, 'email') ?? '';
    const staff = await signInStaff(ctx.db, deps.throttle, deps.devices, { orgId: ctx.org.id, ip: request.ip, email, password: param(form, 'password') ?? '', deviceCookies: cookieValues(request, STAFF_DEVICE_COOKIE) });
    if (staff === THROTTLED) {
      return sendPage(reply.code(429).header('retry-after', '900'), signInPage(request, binding, { email, error: 'throttled' }));
    }
    if (staff === undefined) {
      request.log.info({ event: 'staff_sign_in_failed', org: ctx.org.slug }, 'staff sign-in failed');
      await recordAudit(ctx.db, ctx.clock, ctx.org.id, { action: 'staff.sign_in_failed', actor: { type: 'anonymous', id: null }, ip: request.ip });
      return sendPage(reply, signInPage(request, binding, { email, error: 'invalid_credentials' }));
    }
    const previous = request.cookies[STAFF_COOKIE];
    if (previous !== undefined) await endStaffSession(ctx.db, ctx.clock, ctx.org.id, previous);
    const cookie = await startStaffSession(ctx.db, ctx.clock, ctx.org.id, staff.staffUserId);
    reply.setCookie(STAFF_COOKIE, cookie, orgCookieOptions(deps.publicUrl, ctx.org.slug));
    reply.setCookie(STAFF_DEVICE_COOKIE, staff.deviceCookie, orgCookieOptions(deps.publicUrl, ctx.org.slug, DEVICE_COOKIE_LIFETIME_SECONDS));
    request.log.info({ event: 'staff_sign_in', org: ctx.org.slug, staffUser: staff.staffUserId }, 'staff signed in');
    await recordAudit(ctx.db, ctx.clock, ctx.org.id, { action: 'staff.sign_in', actor: { type: 'staff', id: staff.staffUserId }, ip: request.ip });
    return reply.code(303).header('location', `${ctx.issuer}/staff`).send();
  });

  scope.get('/staff', PAGE, async (request, reply) => {
    const ctx = request.org;
    const session = await findStaffSession(ctx.db, ctx.clock, ctx.org.id, request.cookies[STAFF_COOKIE]);
    if (session === undefined) return reply.code(303).header('location', `${ctx.issuer}/staff/login`).send();
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    return sendPage(reply, renderStaffHomePage({ branding: brandingOf(ctx), email: session.email, signOutAction: `${ctx.issuer}/staff/logout`, csrfToken: csrfTokenFor(binding, 'staff-logout') }));
  });

  scope.post('/staff/logout', PAGE, async (request, reply) => {
    const ctx = request.org;
    const form = await readForm(request);
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    if (!csrfMatches(form, csrfTokenFor(binding, 'staff-logout'))) {
      return sendPage(reply.code(400), renderErrorPage({ branding: brandingOf(ctx), title: 'This page has expired', message: 'Reload the page and try again.', requestId: request.id }));
    }
    const cookie = request.cookies[STAFF_COOKIE];
    if (cookie !== undefined) await endStaffSession(ctx.db, ctx.clock, ctx.org.id, cookie);
    reply.clearCookie(STAFF_COOKIE, orgCookieOptions(deps.publicUrl, ctx.org.slug));
    request.log.info({ event: 'staff_sign_out', org: ctx.org.slug }, 'staff signed out');
    // Back to the refused authorization request when there was one: always under this issuer, never elsewhere.
    const returnTo = param(form, 'return_to');
    // Printable ASCII only: a CR or LF would be refused as a header value (a 500).
    const resumable = returnTo !== undefined && returnTo.startsWith(`${OAUTH_PATHS.authorization}?`) && /^[\x21-\x7e]+$/.test(returnTo);
    const location = resumable ? ctx.issuer + returnTo : `${ctx.issuer}/staff/login`;
    return reply.code(303).header('location', location).send();
  });
}

function signInPage(request: FastifyRequest, binding: string, state: { email: string | null; error: 'invalid_credentials' | 'throttled' | null }) {
  const ctx = request.org;
  return renderStaffSignInPage({ branding: brandingOf(ctx), action: `${ctx.issuer}/staff/login`, csrfToken: csrfTokenFor(binding, 'staff-login'), email: state.email, error: state.error });
}
