import { splitScope } from '../../lib/scope.ts';
import type { OrgContext } from '../context.ts';
import { findAccessToken } from '../credentials/credentials.repository.ts';
import { credentialKey } from '../credentials/credentials.ts';

/** A client acting for itself, as its access token says: who it is and what the token allows. */
export interface ServiceTokenHolder {
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/**
 * The client behind an access token it obtained for itself (RFC 6749 §4.4, client_credentials)
 * in this org, for endpoints that serve other servers (the connector hub's sign-in tokens).
 * Undefined for anything else: an unknown, expired or revoked token, another org's, a token
 * issued to a constituent (it acts for a person, not for the client), a client no longer active.
 * Opaque and JWT access tokens alike: both are stored, found by their key (credentialKey), so a
 * revoked JWT is refused here though its signature still verifies. One indexed read, and the
 * client from the org's cache.
 */
export async function verifyServiceToken(ctx: OrgContext, presented: string): Promise<ServiceTokenHolder | undefined> {
  const token = await findAccessToken(ctx.db, ctx.org.id, credentialKey(presented));
  if (token === undefined || token.revokedAt !== null || token.expiresAt <= ctx.clock() || token.accountId !== null) return undefined;
  // A suspended client's tokens die with it, even one another process minted before its cache expired (userinfo.ts does the same).
  if ((await ctx.findClient(token.clientId))?.status !== 'active') return undefined;
  return { clientId: token.clientId, scopes: splitScope(token.scope) };
}
