import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE_LIFETIME_SECONDS } from '../accounts/device-cookies.ts';
import { THROTTLED } from '../accounts/sign-in-throttle.ts';
import { recordAudit } from '../audit/audit.ts';
import { cookieValues, csrfMatches, csrfTokenFor, ensureBrowserCookie, orgCookieOptions, STAFF_COOKIE, STAFF_DEVICE_COOKIE } from '../http/cookies.ts';
import { renderErrorPage } from '../http/error-page.ts';
import { html, type SafeHtml } from '../http/html.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { brandingOf, sendPage } from '../http/pages.ts';
import { OAUTH_PATHS } from '../oauth/endpoints.ts';
import { param } from '../oauth/params.ts';
import { endStaffSession, signInStaff, startStaffSession } from '../staff/staff-sessions.ts';
import { registerConsoleAssets } from './assets.ts';
import { registerAuditPages } from './audit-pages.ts';
import { registerClientPages } from './client-pages.ts';
import { registerClientLifecyclePages } from './client-lifecycle-pages.ts';
import { registerRegistrationPages } from './registration-pages.ts';
import { registerScopePages } from './scope-pages.ts';
import { registerConstituentPages } from './constituent-pages.ts';
import { registerAccountPages } from './account-pages.ts';
import { registerAccountChangePages } from './account-change-pages.ts';
import { registerConnectorPages } from './connector-pages.ts';
import { CONSOLE_PAGE, consoleHandler, safeReturnPath, SIGN_OUT_PURPOSE, type ConsoleDeps } from './console-context.ts';
import { registerOverviewPage } from './overview-page.ts';
import { renderStaffSignInPage } from './pages/staff-sign-in.ts';
import { registerStaffPages } from './staff-pages.ts';
import { registerWebhookPages } from './webhook-pages.ts';
import { registerSettingsPages } from './settings-pages.ts';

export type { ConsoleDeps } from './console-context.ts';


/**
 * The staff console of one organization, under `/o/:slug/console/`: its sign-in and sign-out,
 * its assets, and its pages. Staff have a cookie of their own (`gh_staff`), never the
 * constituents' SSO session. The first paths of the console stay: `/staff/login` shows the same
 * sign-in, `/staff` sends to the console, `/staff/logout` signs out (the hosted pages post there).
 * Errors are thrown, for the scope's page handler (answerPageError, which app.ts registers on it).
 */
export function registerConsoleRoutes(scope: FastifyInstance, deps: ConsoleDeps): void {
  const showSignIn = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, request.org.org.slug);
    const returnTo = safeReturnPath(param(readQuery(request), 'return_to'));
    return sendPage(reply, signInPage(request, binding, { email: null, error: null, returnTo }));
  };
  scope.get('/console/login', CONSOLE_PAGE, showSignIn);
  scope.get('/staff/login', CONSOLE_PAGE, showSignIn);

  const signIn = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ctx = request.org;
    const form = await readForm(request);
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    const returnTo = safeReturnPath(param(form, 'return_to'));
    if (!csrfMatches(form, csrfTokenFor(binding, 'staff-login'))) return sendPage(reply.code(400), signInPage(request, binding, { email: null, error: null, returnTo }));
    const email = param(form, 'email') ?? '';
    const staff = await signInStaff(ctx.db, deps.throttle, deps.devices, { orgId: ctx.org.id, ip: request.ip, email, password: param(form, 'password') ?? '', deviceCookies: cookieValues(request, STAFF_DEVICE_COOKIE) });
    if (staff === THROTTLED) {
      return sendPage(reply.code(429).header('retry-after', '900'), signInPage(request, binding, { email, error: 'throttled', returnTo }));
    }
    if (staff === undefined) {
      request.log.info({ event: 'staff_sign_in_failed', org: ctx.org.slug }, 'staff sign-in failed');
      await recordAudit(ctx.db, ctx.clock, ctx.org.id, { action: 'staff.sign_in_failed', actor: { type: 'anonymous', id: null }, ip: request.ip });
      return sendPage(reply, signInPage(request, binding, { email, error: 'invalid_credentials', returnTo }));
    }
    const previous = request.cookies[STAFF_COOKIE];
    if (previous !== undefined) await endStaffSession(ctx.db, ctx.clock, ctx.org.id, previous);
    const cookie = await startStaffSession(ctx.db, ctx.clock, ctx.org.id, staff.staffUserId);
    reply.setCookie(STAFF_COOKIE, cookie, orgCookieOptions(deps.publicUrl, ctx.org.slug));
    reply.setCookie(STAFF_DEVICE_COOKIE, staff.deviceCookie, orgCookieOptions(deps.publicUrl, ctx.org.slug, DEVICE_COOKIE_LIFETIME_SECONDS));
    request.log.info({ event: 'staff_sign_in', org: ctx.org.slug, staffUser: staff.staffUserId }, 'staff signed in');
    await recordAudit(ctx.db, ctx.clock, ctx.org.id, { action: 'staff.sign_in', actor: { type: 'staff', id: staff.staffUserId }, ip: request.ip });
    return reply.code(303).header('location', `${ctx.issuer}/console/${returnTo ?? ''}`).send();
  };
  scope.post('/console/login', CONSOLE_PAGE, signIn);
  scope.post('/staff/login', CONSOLE_PAGE, signIn);

  scope.get('/staff', CONSOLE_PAGE, async (request, reply) => reply.code(303).header('location', `${request.org.issuer}/console/`).send());
  scope.get('/console', CONSOLE_PAGE, async (request, reply) => reply.code(308).header('location', `${request.org.issuer}/console/`).send());

  const signOut = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ctx = request.org;
    const form = await readForm(request);
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    if (!csrfMatches(form, csrfTokenFor(binding, SIGN_OUT_PURPOSE))) {
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
    const location = resumable ? ctx.issuer + returnTo : `${ctx.issuer}/console/login`;
    return reply.code(303).header('location', location).send();
  };
  scope.post('/console/logout', CONSOLE_PAGE, signOut);
  scope.post('/staff/logout', CONSOLE_PAGE, signOut);

  registerConsoleAssets(scope);
  registerOverviewPage(scope, deps);
  registerClientPages(scope, deps);
  registerClientLifecyclePages(scope, deps);
  registerScopePages(scope, deps);
  registerRegistrationPages(scope, deps);
  registerConstituentPages(scope, deps);
  registerStaffPages(scope, deps);
  registerAuditPages(scope, deps);
  registerConnectorPages(scope, deps);
  registerAccountPages(scope, deps);
  registerAccountChangePages(scope, deps);
  registerWebhookPages(scope, deps);
  registerSettingsPages(scope, deps);
  // Any other address under the console: the console's own 404 page (after the sign-in, as every page).
  scope.get('/console/*', CONSOLE_PAGE, consoleHandler(deps, async (call) => call.render({ title: 'Not found', section: null, body: notFoundBody(call.frame.consoleUrl) }, 404)));
}

function notFoundBody(consoleUrl: string): SafeHtml {
  return html`<p>There is no page at this address. <a href="${consoleUrl}/">Go to the overview</a>.</p>`;
}

function signInPage(request: FastifyRequest, binding: string, state: { email: string | null; error: 'invalid_credentials' | 'throttled' | null; returnTo: string | null }) {
  const ctx = request.org;
  return renderStaffSignInPage({ branding: brandingOf(ctx), action: `${ctx.issuer}/console/login`, csrfToken: csrfTokenFor(binding, 'staff-login'), email: state.email, error: state.error, returnTo: state.returnTo });
}
