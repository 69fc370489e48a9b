import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findConstituent } from '../accounts/constituents.ts';
import { selfRegistrationIsOpen } from '../accounts/self-registration.ts';
import type { DeviceCookies } from '../accounts/device-cookies.ts';
import { signInConstituent } from '../accounts/sign-in.ts';
import { THROTTLED, type SignInThrottle } from '../accounts/sign-in-throttle.ts';
import { recordAudit } from '../audit/audit.ts';
import { renderStaffSessionPage } from './pages/staff-session.ts';
import { BROWSER_COOKIE, cookieValues, csrfMatches, csrfTokenFor, DEVICE_COOKIE, ensureBrowserCookie, orgCookieOptions, SSO_COOKIE, STAFF_COOKIE } from '../http/cookies.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { brandingOf, sendPage } from '../http/pages.ts';
import { hashSecret } from '../lib/secrets.ts';
import { continueAfterConsent, scopesToAskAbout, startAuthorization, type Interaction } from '../oauth/authorize/authorize.ts';
import { RedirectedError, UntrustedRequestError } from '../oauth/authorize/request.ts';
import type { OrgContext } from '../oauth/context.ts';
import { OAUTH_PATHS } from '../oauth/endpoints.ts';
import { OAuthError } from '../oauth/errors.ts';
import { LogoutRequestError, needsConfirmation, planLogout, type LogoutPlan } from '../oauth/logout/logout.ts';
import { param, type RawParams } from '../oauth/params.ts';
import type { PendingSignIns } from '../oauth/sessions/pending-sign-ins.ts';
import { endSsoSessionByCookie, findLiveSsoSession } from '../oauth/sessions/sso-sessions.ts';
import { findStaffSession } from '../staff/staff-sessions.ts';
import { interactionOf, redirect, sendOutcome, setDeviceCookie, signInAndContinue, SIGN_UP_PATH } from './authorization-flow.ts';
import { badRequestPage, expiredPage } from './page-errors.ts';
import { renderConsentPage } from './pages/consent.ts';
import { renderLoggedOutPage, renderLogoutConfirmPage, renderStillSignedInPage } from './pages/logout.ts';
import { renderSignInPage } from './pages/sign-in.ts';
import { describeScopes } from './scopes.ts';
import { widgetScript } from './widget.ts';

export interface InteractionDeps {
  readonly publicUrl: string;
  readonly throttle: SignInThrottle;
  /** Issues and recognises the device cookies of constituents (keyed from the root key). */
  readonly devices: DeviceCookies;
  /** Where the authorization endpoint keeps the requests it sends to the sign-in page, within their limits. */
  readonly pendingSignIns: PendingSignIns;
}

const PAGE = { config: { answers: 'page' as const } };

/** Where "Stay signed in" on the logout confirmation leads: a page that ends nothing. */
export const LOGOUT_CANCELLED_PATH = `${OAUTH_PATHS.endSession}/cancelled`;

/**
 * The browser-facing routes of one organization (under `/o/:slug`): the authorization endpoint,
 * the hosted sign-in and consent pages, logout, and the login widget. Every form is bound to the
 * browser that started it (a cookie) and carries a CSRF token; every successful POST answers 303.
 * Errors are thrown, for the scope's page handler (answerPageError, which app.ts registers on it).
 */
export function registerInteractionRoutes(scope: FastifyInstance, deps: InteractionDeps): void {
  scope.get(OAUTH_PATHS.authorization, PAGE, async (request, reply) => authorize(request, reply, readQuery(request), deps));
  scope.post(OAUTH_PATHS.authorization, PAGE, async (request, reply) => authorize(request, reply, await readForm(request), deps));

  scope.get('/login', PAGE, async (request, reply) => {
    const interaction = await interactionOf(request, readQuery(request));
    if (interaction === undefined) return expiredPage(request, reply);
    return sendPage(reply, signInPage(request.org, interaction, { loginHint: interaction.request.loginHint, error: null }));
  });

  scope.post('/login', PAGE, async (request, reply) => {
    const form = await readForm(request);
    const interaction = await interactionOf(request, form);
    if (interaction === undefined || !csrfMatches(form, interaction.csrfToken)) return expiredPage(request, reply);
    const ctx = request.org;
    const username = param(form, 'username') ?? '';
    const password = param(form, 'password') ?? '';
    const signedIn = await signInConstituent(ctx.db, deps.throttle, deps.devices, { orgId: ctx.org.id, ip: request.ip, identifier: username, password, deviceCookies: cookieValues(request, DEVICE_COOKIE) });
    if (signedIn === THROTTLED) {
      return sendPage(reply.code(429).header('retry-after', '900'), signInPage(ctx, interaction, { loginHint: username, error: 'throttled' }));
    }
    if (signedIn === undefined) {
      request.log.info({ event: 'sign_in_failed', org: ctx.org.slug }, 'constituent sign-in failed');
      // Never the login name typed: people type passwords into the wrong field.
      await recordAudit(ctx.db, ctx.clock, ctx.org.id, { action: 'constituent.sign_in_failed', actor: { type: 'anonymous', id: null }, ip: request.ip, details: { client_id: interaction.client.clientId } });
      return sendPage(reply, signInPage(ctx, interaction, { loginHint: username, error: 'invalid_credentials' }));
    }
    setDeviceCookie(reply, deps.publicUrl, ctx.org.slug, signedIn.deviceCookie);
    return signInAndContinue(request, reply, interaction, signedIn.constituent.accountId, deps);
  });

  scope.get('/consent', PAGE, async (request, reply) => {
    const ctx = request.org;
    const interaction = await interactionOf(request, readQuery(request));
    if (interaction === undefined) return expiredPage(request, reply);
    const session = await findLiveSsoSession(ctx, request.cookies[SSO_COOKIE]);
    if (session === undefined || session.accountId !== interaction.accountId) return redirect(reply, `${ctx.issuer}/login?interaction=${interaction.id}`);
    const constituent = await findConstituent(ctx.db, ctx.org.id, session.accountId);
    return sendPage(
      reply,
      renderConsentPage({
        branding: brandingOf(ctx),
        clientName: interaction.client.name,
        accountName: constituent?.displayName ?? constituent?.loginName ?? session.accountId,
        action: `${ctx.issuer}/consent`,
        interactionId: interaction.id,
        csrfToken: interaction.csrfToken,
        scopes: describeScopes(await scopesToAskAbout(ctx, interaction, session.accountId), ctx.org.settings.customScopes),
      }),
    );
  });

  scope.post('/consent', PAGE, async (request, reply) => {
    const ctx = request.org;
    const form = await readForm(request);
    const interaction = await interactionOf(request, form);
    if (interaction === undefined || !csrfMatches(form, interaction.csrfToken)) return expiredPage(request, reply);
    const session = await findLiveSsoSession(ctx, request.cookies[SSO_COOKIE]);
    const allow = param(form, 'decision') === 'allow';
    const outcome = await continueAfterConsent(ctx, interaction, session, { allow, bindingHash: hashSecret(request.cookies[BROWSER_COOKIE]!) });
    return sendOutcome(reply, ctx, outcome);
  });

  scope.get(OAUTH_PATHS.endSession, PAGE, async (request, reply) => logout(request, reply, readQuery(request), deps));
  scope.post(OAUTH_PATHS.endSession, PAGE, async (request, reply) => logout(request, reply, await readForm(request), deps));
  scope.get(LOGOUT_CANCELLED_PATH, PAGE, async (request, reply) => {
    const ctx = request.org;
    // Says "still signed in" only when it is true: the session may have ended meanwhile.
    const session = await findLiveSsoSession(ctx, request.cookies[SSO_COOKIE]);
    return sendPage(reply, session === undefined ? renderLoggedOutPage({ branding: brandingOf(ctx) }) : renderStillSignedInPage({ branding: brandingOf(ctx) }));
  });

  // Neon CRM's login widget: one <script> tag renders "Sign in with <Org>".
  scope.get('/widget.js', async (request, reply) => {
    const ctx = request.org;
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(widgetScript({ issuer: ctx.issuer, orgName: ctx.org.name, authorizationEndpoint: ctx.issuer + OAUTH_PATHS.authorization, primaryColor: ctx.org.settings.primaryColor }));
  });
}

async function authorize(request: FastifyRequest, reply: FastifyReply, params: RawParams, deps: InteractionDeps): Promise<FastifyReply> {
  const ctx = request.org;
  const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
  const staffSignedIn = (await findStaffSession(ctx.db, ctx.clock, ctx.org.id, request.cookies[STAFF_COOKIE])) !== undefined;
  const session = await findLiveSsoSession(ctx, request.cookies[SSO_COOKIE]);
  try {
    const outcome = await startAuthorization(ctx, params, { session, bindingHash: hashSecret(binding), staffSignedIn, ip: request.ip }, deps.pendingSignIns);
    if (outcome.kind === 'staff_session') return staffSessionPage(request, reply, binding);
    return sendOutcome(reply, ctx, outcome);
  } catch (error) {
    if (error instanceof UntrustedRequestError) return badRequestPage(request, reply, error.title, error.message);
    if (error instanceof RedirectedError) return sendOutcome(reply, ctx, { kind: 'error', target: error.target, error: error.error });
    throw error;
  }
}

/** Staff cannot sign in to apps; the page offers to end the staff session and come back to this request. */
function staffSessionPage(request: FastifyRequest, reply: FastifyReply, binding: string): FastifyReply {
  const ctx = request.org;
  const query = request.url.indexOf('?');
  return sendPage(
    reply.code(403),
    renderStaffSessionPage({
      branding: brandingOf(ctx),
      signOutAction: `${ctx.issuer}/staff/logout`,
      csrfToken: csrfTokenFor(binding, 'staff-logout'),
      returnTo: request.method === 'GET' && query !== -1 ? OAUTH_PATHS.authorization + request.url.slice(query) : null,
    }),
  );
}

/**
 * The end-session endpoint. A GET ends the session at once only when needsConfirmation says so;
 * otherwise it shows the confirmation page, whose POST (with its CSRF token) ends the session.
 * Any other POST, an RP's (RP-Initiated Logout 1.0 §2: the endpoint MUST take POST), is sent on to
 * the GET with the same parameters: the SSO cookie is SameSite=Lax, so a cross-site POST arrives
 * without it, while the top-level GET that follows carries it.
 */
async function logout(request: FastifyRequest, reply: FastifyReply, params: RawParams, deps: InteractionDeps): Promise<FastifyReply> {
  const ctx = request.org;
  let plan;
  try {
    plan = await planLogout(ctx, params);
  } catch (error) {
    if (error instanceof LogoutRequestError || error instanceof OAuthError) return badRequestPage(request, reply, 'Cannot sign out this way', error.message);
    throw error;
  }
  if (request.method === 'POST') {
    if (isConfirmation(request, params)) return signOut(request, reply, plan, deps);
    const query = new URLSearchParams(plan.params).toString();
    return redirect(reply, `${ctx.issuer}${OAUTH_PATHS.endSession}${query === '' ? '' : `?${query}`}`);
  }
  const session = await findLiveSsoSession(ctx, request.cookies[SSO_COOKIE]);
  if (!needsConfirmation(plan, session)) return signOut(request, reply, plan, deps);
  const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
  return sendPage(
    reply,
    renderLogoutConfirmPage({
      branding: brandingOf(ctx),
      action: `${ctx.issuer}${OAUTH_PATHS.endSession}`,
      csrfToken: csrfTokenFor(binding, LOGOUT_CSRF_PURPOSE),
      hidden: plan.params,
      clientName: plan.client?.name ?? null,
      cancelUrl: `${ctx.issuer}${LOGOUT_CANCELLED_PATH}`,
    }),
  );
}

const LOGOUT_CSRF_PURPOSE = 'logout';

/**
 * True for the POST of our own confirmation page, in the browser it was shown to. The binding
 * cookie is read, never set: a cross-site POST arrives without it, and must not replace it.
 */
function isConfirmation(request: FastifyRequest, form: RawParams): boolean {
  const binding = request.cookies[BROWSER_COOKIE];
  return param(form, 'confirm') === 'yes' && binding !== undefined && csrfMatches(form, csrfTokenFor(binding, LOGOUT_CSRF_PURPOSE));
}

/** Ends this browser's session (if any) and goes on to the validated post-logout address, or our page. */
async function signOut(request: FastifyRequest, reply: FastifyReply, plan: LogoutPlan, deps: InteractionDeps): Promise<FastifyReply> {
  const ctx = request.org;
  const cookie = request.cookies[SSO_COOKIE];
  if (cookie !== undefined) {
    await endSsoSessionByCookie(ctx, cookie);
    reply.clearCookie(SSO_COOKIE, orgCookieOptions(deps.publicUrl, ctx.org.slug));
    request.log.info({ event: 'sign_out', org: ctx.org.slug }, 'constituent signed out');
  }
  if (plan.redirectTo !== null) return redirect(reply, plan.redirectTo);
  return sendPage(reply, renderLoggedOutPage({ branding: brandingOf(ctx) }));
}

function signInPage(ctx: OrgContext, interaction: Interaction, state: { loginHint: string | null; error: 'invalid_credentials' | 'throttled' | null }) {
  return renderSignInPage({
    branding: brandingOf(ctx),
    clientName: interaction.client.name,
    action: `${ctx.issuer}/login`,
    interactionId: interaction.id,
    csrfToken: interaction.csrfToken,
    loginHint: state.loginHint,
    error: state.error,
    signUpUrl: selfRegistrationIsOpen(ctx.org.settings) ? `${ctx.issuer}${SIGN_UP_PATH}?interaction=${interaction.id}` : null,
  });
}

