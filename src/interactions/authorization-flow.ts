import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE_LIFETIME_SECONDS } from '../accounts/device-cookies.ts';
import { recordAudit } from '../audit/audit.ts';
import { BROWSER_COOKIE, DEVICE_COOKIE, orgCookieOptions, SSO_COOKIE } from '../http/cookies.ts';
import { sendPage } from '../http/pages.ts';
import { hashSecret } from '../lib/secrets.ts';
import { continueAfterSignIn, loadInteraction, type AuthorizeOutcome, type Interaction } from '../oauth/authorize/authorize.ts';
import { authorizationResponseParams, queryResponseLocation } from '../oauth/authorize/response.ts';
import type { OrgContext } from '../oauth/context.ts';
import { param, type RawParams } from '../oauth/params.ts';
import { endSsoSessionByCookie, startSsoSession } from '../oauth/sessions/sso-sessions.ts';
import { renderFormPostPage } from './pages/form-post.ts';

/*
 * The steps of an authorization in progress that more than one hosted page takes: finding the
 * interaction a page belongs to, signing the constituent in and going on (after sign-in or
 * sign-up), and answering where the authorization leads next.
 */

/** The hosted sign-up page, under the issuer; linked from the sign-in page only while the org's sign-up is open. */
export const SIGN_UP_PATH = '/signup';

/**
 * Signs the constituent in (after the sign-in or the sign-up page) and continues the
 * authorization the interaction holds: a consent page, or the code back to the client.
 */
export async function signInAndContinue(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, accountId: string, deps: { readonly publicUrl: string }): Promise<FastifyReply> {
  const ctx = request.org;
  // A new session (and cookie) at every sign-in: a session id planted before sign-in is worthless after.
  const previous = request.cookies[SSO_COOKIE];
  if (previous !== undefined) await endSsoSessionByCookie(ctx, previous);
  const { cookieValue, session } = await startSsoSession(ctx, ctx.db, accountId);
  reply.setCookie(SSO_COOKIE, cookieValue, orgCookieOptions(deps.publicUrl, ctx.org.slug));
  request.log.info({ event: 'sign_in', org: ctx.org.slug, account: accountId }, 'constituent signed in');
  await recordAudit(ctx.db, ctx.clock, ctx.org.id, { action: 'constituent.sign_in', actor: { type: 'constituent', id: accountId }, ip: request.ip, details: { client_id: interaction.client.clientId } });
  return sendOutcome(reply, ctx, await continueAfterSignIn(ctx, interaction, session, hashSecret(request.cookies[BROWSER_COOKIE]!)));
}

/** Keeps the constituent device cookie of this org (accounts/device-cookies.ts) for its lifetime. */
export function setDeviceCookie(reply: FastifyReply, publicUrl: string, slug: string, value: string): void {
  reply.setCookie(DEVICE_COOKIE, value, orgCookieOptions(publicUrl, slug, DEVICE_COOKIE_LIFETIME_SECONDS));
}

/** Answers an authorization outcome: a redirect (or form post) to the client, or our next page. */
export function sendOutcome(reply: FastifyReply, ctx: OrgContext, outcome: AuthorizeOutcome): FastifyReply {
  switch (outcome.kind) {
    case 'login':
      return redirect(reply, `${ctx.issuer}/login?interaction=${outcome.interactionId}`);
    case 'consent':
      return redirect(reply, `${ctx.issuer}/consent?interaction=${outcome.interactionId}`);
    case 'code':
    case 'error': {
      const params = authorizationResponseParams(outcome.target, ctx.issuer, outcome.kind === 'code' ? { code: outcome.code } : { error: outcome.error });
      if (outcome.target.responseMode === 'form_post') return sendPage(reply, renderFormPostPage({ redirectUri: outcome.target.redirectUri, params }));
      return redirect(reply, queryResponseLocation(outcome.target.redirectUri, params));
    }
  }
}

/** 303 See Other: the browser follows with a GET, whatever the method was (RFC 9110 §15.4.4). */
export function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}

/** The interaction a page's query or form names, if it is live and this browser's. */
export async function interactionOf(request: FastifyRequest, params: RawParams): Promise<Interaction | undefined> {
  let id: string | undefined;
  try {
    id = param(params, 'interaction');
  } catch {
    return undefined;
  }
  return id === undefined ? undefined : loadInteraction(request.org, id, request.cookies[BROWSER_COOKIE]);
}
