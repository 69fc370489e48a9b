import { listActiveClients, type Client } from '../../clients/clients.ts';
import { InvalidSignedTokenError } from '../../keys/signing-keys.ts';
import type { OrgContext } from '../context.ts';
import { param, type RawParams } from '../params.ts';
import type { SsoSession } from '../sessions/sso-sessions.ts';

/** A logout request that cannot be honoured; shown as a page, never redirected. */
export class LogoutRequestError extends Error {}

/** Whom a verified id_token_hint was issued to: its `sub`, and its `sid` when it has one. */
export interface HintSubject {
  readonly sub: string;
  readonly sid: string | null;
}

export interface LogoutPlan {
  /** Where to send the browser afterwards (a registered URI, with `state` added); null for our own page. */
  readonly redirectTo: string | null;
  /** The active client the request names (or whose URI it returns to); null when none, or when it is not active. */
  readonly client: Client | null;
  /** Whom the id_token_hint names; null without one. Says nothing about the caller: see needsConfirmation. */
  readonly hint: HintSubject | null;
  /** The logout parameters of the request, once each: carried by the confirmation form and the redirect from a POST. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The parameters of a logout request (RP-Initiated Logout 1.0 §2, and Neon's `targetUrl`).
 * Anything else is ignored, and not carried on.
 */
const LOGOUT_PARAMETERS = ['id_token_hint', 'logout_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales', 'targetUrl'] as const;

/**
 * OpenID Connect RP-Initiated Logout 1.0 §2-3, plus Neon CRM's `logout?targetUrl=…`. A redirect
 * target is honoured only when it is a post-logout URI registered by an active client of this org
 * (exactly, as redirect URIs are): logout is never an open redirect.
 *
 * A client that is not active (pending, rejected or suspended) is no verified client: with
 * registration open anyone can register one, with any post-logout URI. §3: the OP "MUST NOT
 * perform post-logout redirection" to a URI it could not verify, so a request naming such a
 * client (by `client_id` or by the audience of its `id_token_hint`) gets our own page, and the
 * client is not named on it (its name is the registrant's, not the org's).
 */
export async function planLogout(ctx: OrgContext, params: RawParams): Promise<LogoutPlan> {
  const carried = logoutParameters(params);
  const hintParam = carried.id_token_hint;
  const clientIdParam = carried.client_id;
  const postLogoutUri = carried.post_logout_redirect_uri;
  const targetUrl = carried.targetUrl;

  /** The client the request names, whatever its status. */
  let named: Client | null = null;
  let hint: HintSubject | null = null;
  if (hintParam !== undefined) {
    const verified = await verifiedHint(ctx, hintParam);
    if (clientIdParam !== undefined && clientIdParam !== verified.audience) throw new LogoutRequestError('The client_id does not match the id_token_hint.');
    named = (await ctx.findClient(verified.audience)) ?? null;
    if (named === null) throw new LogoutRequestError('The id_token_hint names an application that no longer exists.');
    hint = verified.subject;
  } else if (clientIdParam !== undefined) {
    named = (await ctx.findClient(clientIdParam)) ?? null;
    if (named === null) throw new LogoutRequestError('Unknown client_id.');
  }
  if (named !== null && named.status !== 'active') return { redirectTo: null, client: null, hint, params: carried };
  const client = named;

  if (postLogoutUri !== undefined) {
    if (client === null) throw new LogoutRequestError('post_logout_redirect_uri needs an id_token_hint or a client_id to check it against.');
    if (!client.postLogoutRedirectUris.includes(postLogoutUri)) throw new LogoutRequestError('The post_logout_redirect_uri is not registered for this application.');
    return { redirectTo: withState(postLogoutUri, carried.state), client, hint, params: carried };
  }
  if (targetUrl !== undefined) {
    const clients = client === null ? await listActiveClients(ctx.db, ctx.org.id) : [client];
    const owner = clients.find((c) => c.postLogoutRedirectUris.includes(targetUrl));
    if (owner === undefined) throw new LogoutRequestError('The targetUrl is not a registered post-logout address of any application of this organization.');
    return { redirectTo: targetUrl, client: owner, hint, params: carried };
  }
  return { redirectTo: null, client, hint, params: carried };
}

/**
 * True when the person must confirm before `session` ends. Anyone can make a browser send a logout
 * request, and neither a registered post-logout URI (public) nor a validly signed ID token (the
 * attacker's own, or an old one) proves the request comes from this session's relying party.
 * So the session ends at once only when the hint names it: its `sid` is this session's, or, for
 * an ID token without `sid` (refreshed ones), its `sub` is this session's account.
 * RP-Initiated Logout 1.0 §2 (a `sid`/`sub` that is not the current session's is suspect: ask) and
 * §6 (logout CSRF). Without a session there is nothing to end, and nothing to ask.
 */
export function needsConfirmation(plan: LogoutPlan, session: SsoSession | undefined): boolean {
  if (session === undefined) return false;
  if (plan.hint === null) return true;
  if (plan.hint.sid !== null) return plan.hint.sid !== session.id;
  return plan.hint.sub !== session.accountId;
}

/** The logout parameters present, once each; a repeated one is refused (InvalidRequest) as everywhere. */
function logoutParameters(params: RawParams): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const name of LOGOUT_PARAMETERS) {
    const value = param(params, name);
    if (value !== undefined) carried[name] = value;
  }
  return carried;
}

/**
 * The hint must be an ID token this org signed; it may have expired (§2: "the OP SHOULD accept"
 * those). It only identifies the client and the session: it is no proof of who sent it.
 */
async function verifiedHint(ctx: OrgContext, hint: string): Promise<{ audience: string; subject: HintSubject }> {
  let payload: Record<string, unknown>;
  try {
    payload = await (await ctx.signingKeys()).verify(hint, { allowExpired: true, issuer: ctx.issuer, typ: 'JWT' });
  } catch (error) {
    if (error instanceof InvalidSignedTokenError) throw new LogoutRequestError('The id_token_hint is not a valid ID token of this organization.');
    throw error;
  }
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (typeof aud !== 'string') throw new LogoutRequestError('The id_token_hint has no audience.');
  if (typeof payload.sub !== 'string') throw new LogoutRequestError('The id_token_hint has no subject.');
  return { audience: aud, subject: { sub: payload.sub, sid: typeof payload.sid === 'string' ? payload.sid : null } };
}

function withState(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  const url = new URL(uri);
  url.searchParams.append('state', state);
  return url.href;
}
