import type { Client } from '../../../clients/clients.ts';
import { inTransaction } from '../../../db/transaction.ts';
import { isSubset, splitScope } from '../../../lib/scope.ts';
import type { OrgContext } from '../../context.ts';
import { InvalidGrant, InvalidScope, type OAuthError } from '../../errors.ts';
import { param, requiredParam, type RawParams } from '../../params.ts';
import { credentialKey } from '../../tokens/credentials.ts';
import { accessTokenSigner, completeGrant, issueTokens, type GrantOutcome, type TokenResponse } from '../../tokens/issue.ts';
import { findRefreshToken, revokeFamily, rotateRefreshToken } from '../../tokens/tokens.repository.ts';

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token and
 * retires the one presented. Presenting a retired token again means two parties hold it, so the
 * whole family is revoked. The new tokens never widen the family's scope and never outlive it.
 */
export async function redeemRefreshToken(ctx: OrgContext, client: Client, body: RawParams): Promise<TokenResponse> {
  const presented = requiredParam(body, 'refresh_token');
  const requestedScope = param(body, 'scope');
  const key = credentialKey(presented);
  const now = ctx.clock();

  const signer = await accessTokenSigner(ctx, client);
  const outcome: GrantOutcome = await inTransaction(ctx.db, async (trx): Promise<GrantOutcome> => {
    const row = await rotateRefreshToken(trx, ctx.org.id, client.clientId, key, now);
    if (row === undefined) {
      const existing = await findRefreshToken(trx, ctx.org.id, key);
      if (existing?.rotated_at != null && existing.client_id === client.clientId) {
        await revokeFamily(trx, ctx.org.id, existing.family_id, now);
        return { error: new InvalidGrant('The refresh token is invalid or was revoked.', `reuse of rotated refresh token: family ${existing.family_id} revoked`) };
      }
      return { error: new InvalidGrant('The refresh token is invalid or was revoked.', existing === undefined ? 'unknown refresh token' : 'revoked, or of another client') };
    }
    // Revoking a family revokes its refresh tokens, and they expire with it: the conditional
    // UPDATE above has already checked the family.
    if (row.expires_at <= now) return { error: new InvalidGrant('The refresh token has expired.') };

    const granted = splitScope(row.scope);
    const scope = requestedScope === undefined ? granted : splitScope(requestedScope);
    // RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted".
    if (!isSubset(scope, granted)) return { error: new InvalidScope('The requested scope exceeds the scope originally granted.') };

    const user = { accountId: row.account_id, authTime: row.auth_time };
    const tokens = await issueTokens(ctx, trx, {
      client,
      scope,
      user,
      familyId: row.family_id,
      refreshExpiresAt: row.expires_at,
      refreshScope: granted,
      signer,
      idToken: { nonce: null, sessionId: null },
    });
    return { tokens };
  });

  return completeGrant(outcome);
}
