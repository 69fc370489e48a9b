import type { Client } from '../../../clients/clients.ts';
import { isSubset, serviceScopes, splitScope } from '../../../lib/scope.ts';
import type { OrgContext } from '../../context.ts';
import { InvalidScope } from '../../errors.ts';
import { param, type RawParams } from '../../params.ts';
import { accessTokenSigner, completeGrant, issueTokens, type TokenResponse } from '../../credentials/issue.ts';

/**
 * RFC 6749 §4.4: a confidential client gets an access token for itself. No refresh token
 * (§4.4.3), no ID token, no constituent. Without a scope parameter, the client's registered
 * non-user scopes (serviceScopes) are granted; creation refuses a client that has none
 * (clients.ts checkServiceScope), so the refusal below is for clients made before that rule.
 */
export async function grantClientCredentials(ctx: OrgContext, client: Client, body: RawParams): Promise<TokenResponse> {
  const allowed = serviceScopes(client.scope);
  const requested = param(body, 'scope');
  const scope = requested === undefined ? allowed : splitScope(requested);
  if (!isSubset(scope, allowed)) throw new InvalidScope('The requested scope is not allowed for this client.');
  // RFC 6749 §3.3: a token for nothing is no answer (`scope=%20`, or a client registered with user scopes only).
  if (scope.length === 0) throw new InvalidScope('The request grants no scope: ask for one of the client\'s registered scopes.');
  const signer = await accessTokenSigner(ctx, client);
  const tokens = await issueTokens(ctx, ctx.db, { grantType: 'client_credentials', client, scope, user: null, familyId: null, refreshExpiresAt: null, idToken: null, signer });
  return completeGrant({ tokens });
}
