import { listActiveClients, type Client } from '../../clients/clients.ts';
import { InvalidSignedTokenError } from '../../keys/signing-keys.ts';
import type { OrgContext } from '../context.ts';
import { param, type RawParams } from '../params.ts';

/** A logout request that cannot be honoured; shown as a page, never redirected. */
export class LogoutRequestError extends Error {}

export interface LogoutPlan {
  /** Where to send the browser afterwards (a registered URI, with `state` added); null for our own page. */
  readonly redirectTo: string | null;
  readonly client: Client | null;
  /**
   * True when the request proves it comes from a relying party of this org (a valid
   * id_token_hint, or Neon's targetUrl naming a registered URI): log out without asking.
   * Otherwise the constituent is asked to confirm (RP-Initiated Logout 1.0 §2).
   */
  readonly confirmed: boolean;
}

/**
 * OpenID Connect RP-Initiated Logout 1.0 §2-3, plus Neon CRM's `logout?targetUrl=…`. A redirect
 * target is honoured only when it is a post-logout URI registered by a client of this org
 * (exactly, as redirect URIs are): logout is never an open redirect.
 */
export async function planLogout(ctx: OrgContext, params: RawParams): Promise<LogoutPlan> {
  const hint = param(params, 'id_token_hint');
  const clientIdParam = param(params, 'client_id');
  const postLogoutUri = param(params, 'post_logout_redirect_uri');
  const targetUrl = param(params, 'targetUrl');
  const state = param(params, 'state');

  let client: Client | null = null;
  if (hint !== undefined) {
    const audience = await verifiedHintAudience(ctx, hint);
    if (clientIdParam !== undefined && clientIdParam !== audience) throw new LogoutRequestError('The client_id does not match the id_token_hint.');
    client = (await ctx.findClient(audience)) ?? null;
    if (client === null) throw new LogoutRequestError('The id_token_hint names an application that no longer exists.');
  } else if (clientIdParam !== undefined) {
    client = (await ctx.findClient(clientIdParam)) ?? null;
    if (client === null) throw new LogoutRequestError('Unknown client_id.');
  }

  if (postLogoutUri !== undefined) {
    if (client === null) throw new LogoutRequestError('post_logout_redirect_uri needs an id_token_hint or a client_id to check it against.');
    if (!client.postLogoutRedirectUris.includes(postLogoutUri)) throw new LogoutRequestError('The post_logout_redirect_uri is not registered for this application.');
    return { redirectTo: withState(postLogoutUri, state), client, confirmed: hint !== undefined };
  }
  if (targetUrl !== undefined) {
    const clients = client === null ? await listActiveClients(ctx.db, ctx.org.id) : [client];
    const owner = clients.find((c) => c.postLogoutRedirectUris.includes(targetUrl));
    if (owner === undefined) throw new LogoutRequestError('The targetUrl is not a registered post-logout address of any application of this organization.');
    return { redirectTo: targetUrl, client: owner, confirmed: true };
  }
  return { redirectTo: null, client, confirmed: hint !== undefined };
}

/** The hint must be an ID token this org signed; it may have expired (§2: "the OP SHOULD accept" those). */
async function verifiedHintAudience(ctx: OrgContext, hint: string): Promise<string> {
  let payload: Record<string, unknown>;
  try {
    payload = await (await ctx.signingKeys()).verify(hint, { allowExpired: true, issuer: ctx.issuer });
  } catch (error) {
    if (error instanceof InvalidSignedTokenError) throw new LogoutRequestError('The id_token_hint is not a valid ID token of this organization.');
    throw error;
  }
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (typeof aud !== 'string') throw new LogoutRequestError('The id_token_hint has no audience.');
  return aud;
}

function withState(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  const url = new URL(uri);
  url.searchParams.append('state', state);
  return url.href;
}
