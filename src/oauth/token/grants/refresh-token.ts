import type { Client } from '../../../clients/clients.ts';
import type { Executor } from '../../../db/database.ts';
import { retriedTransaction } from '../../../db/transaction.ts';
import { isSubset, splitScope } from '../../../lib/scope.ts';
import type { OrgContext } from '../../context.ts';
import { InvalidGrant, InvalidScope, type OAuthError } from '../../errors.ts';
import { param, requiredParam, type RawParams } from '../../params.ts';
import { credentialKey, type CredentialKey } from '../../credentials/credentials.ts';
import { accessTokenSigner, completeGrant, issueTokens, type GrantOutcome, type TokenResponse } from '../../credentials/issue.ts';
import { findRefreshToken, revokeFamily, rotateRefreshToken } from '../../credentials/credentials.repository.ts';

const INVALID = 'The refresh token is invalid or was revoked.';

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token and
 * retires the one presented. Presenting a retired token again means two parties hold it, so the
 * whole family is revoked. The new tokens never widen the family's scope and never outlive it.
 * A refused request (expired, wider scope) leaves the token as it was: it is retired only when
 * its successor is issued, so the client's retry is not mistaken for reuse.
 */
export async function redeemRefreshToken(ctx: OrgContext, client: Client, body: RawParams): Promise<TokenResponse> {
  const presented = requiredParam(body, 'refresh_token');
  const requestedScope = param(body, 'scope');
  const key = credentialKey(presented);
  const now = ctx.clock();

  const signer = await accessTokenSigner(ctx, client);
  const outcome: GrantOutcome = await retriedTransaction(ctx.db, async (trx): Promise<GrantOutcome> => {
    // The conditional UPDATE settles concurrent requests with one token: exactly one rotates it.
    // When it finds nothing, a read says why (and revokes the family on reuse).
    const rotated = await rotateRefreshToken(trx, ctx.org.id, client.clientId, key, now);
    if (rotated === undefined) return refusalOf(trx, ctx.org.id, client, key, now);
    const granted = splitScope(rotated.scope);
    const scope = requestedScope === undefined ? granted : splitScope(requestedScope);
    // RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted". The
    // rotation is rolled back with the transaction: the token stays as it was.
    if (!isSubset(scope, granted)) throw new RefusedBeforeIssuing(new InvalidScope('The requested scope exceeds the scope originally granted.'));

    const user = { accountId: rotated.accountId, authTime: rotated.authTime };
    const tokens = await issueTokens(ctx, trx, {
      grantType: 'refresh_token',
      client,
      scope,
      user,
      familyId: rotated.familyId,
      refreshExpiresAt: rotated.expiresAt,
      refreshScope: granted,
      signer,
      idToken: { nonce: null, sessionId: null },
    });
    return { tokens };
  }).catch((error: unknown) => {
    if (error instanceof RefusedBeforeIssuing) return { error: error.refusal };
    throw error;
  });

  return completeGrant(outcome);
}

/**
 * Thrown inside the grant's transaction to roll back its rotation: the request is refused, and a
 * refused request must not spend the token (RFC 6749 §6: the old one goes when a new one is issued).
 */
class RefusedBeforeIssuing extends Error {
  readonly refusal: OAuthError;
  constructor(refusal: OAuthError) {
    super(refusal.message);
    this.refusal = refusal;
  }
}

/**
 * Why the presented token could not be rotated: unknown, another client's, reused (a rotated token
 * presented again by its client, whose family is then revoked), revoked, of a revoked family, or
 * expired.
 */
async function refusalOf(trx: Executor, orgId: string, client: Client, key: CredentialKey, now: number): Promise<{ readonly error: OAuthError }> {
  const token = await findRefreshToken(trx, orgId, key);
  if (token === undefined) return { error: new InvalidGrant(INVALID, 'unknown refresh token') };
  if (token.clientId !== client.clientId) return { error: new InvalidGrant(INVALID, 'refresh token of another client') };
  if (token.rotatedAt !== null) {
    await revokeFamily(trx, orgId, token.familyId, now);
    return { error: new InvalidGrant(INVALID, `reuse of rotated refresh token: family ${token.familyId} revoked`) };
  }
  if (token.revokedAt !== null) return { error: new InvalidGrant(INVALID, 'revoked refresh token') };
  if (token.expiresAt > now) return { error: new InvalidGrant(INVALID, 'refresh token of a revoked family') };
  return { error: new InvalidGrant('The refresh token has expired.') };
}
