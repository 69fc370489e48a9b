import { claimsForScopes } from '../../accounts/claims.ts';
import { findConstituent } from '../../accounts/constituents.ts';
import { credentialKey } from '../credentials/credentials.ts';
import { splitScope } from '../../lib/scope.ts';
import type { OrgContext } from '../context.ts';
import { InsufficientScope, InvalidToken } from '../errors.ts';
import { findAccessToken } from '../credentials/credentials.repository.ts';

/**
 * OpenID Connect Core §5.3 UserInfo, which is also Neos's profile endpoint: the claims the
 * token's scopes release about its constituent, for tokens granted `openid`. Two indexed reads: the token by its key
 * (oauth/credentials/credentials.ts), the constituent by its account ID.
 */
export async function userinfo(ctx: OrgContext, accessToken: string): Promise<Record<string, unknown>> {
  const token = await findAccessToken(ctx.db, ctx.org.id, credentialKey(accessToken));
  const now = ctx.clock();
  if (token === undefined || token.revokedAt !== null || token.expiresAt <= now) {
    throw new InvalidToken('The access token is invalid, expired or revoked.');
  }
  // A suspended (or deleted) client's tokens die with it. Suspension revokes them, but another
  // process may mint one more until its client cache expires; this check (cached, no query in the
  // steady state) makes such a token worthless too.
  if ((await ctx.findClient(token.clientId))?.status !== 'active') throw new InvalidToken('The access token is invalid, expired or revoked.', 'client not active');
  const scope = splitScope(token.scope);
  // OpenID Connect Core §5.3: userinfo answers access tokens of an OpenID Connect request only.
  if (!scope.includes('openid')) throw new InsufficientScope('openid', 'The access token was not granted the openid scope.');
  if (token.accountId === null) throw new InvalidToken('The access token does not belong to a constituent.');
  const constituent = await findConstituent(ctx.db, ctx.org.id, token.accountId);
  if (constituent === undefined || constituent.status !== 'active') throw new InvalidToken('The access token is invalid, expired or revoked.', 'constituent gone or disabled');
  return claimsForScopes(constituent, scope, ctx.org.settings.customScopes);
}
