import type { Client } from '../../../clients/clients.ts';
import { retriedTransaction } from '../../../db/transaction.ts';
import { splitScope } from '../../../lib/scope.ts';
import type { OrgContext } from '../../context.ts';
import { InvalidGrant, InvalidRequest, type OAuthError } from '../../errors.ts';
import { param, requiredParam, type RawParams } from '../../params.ts';
import { checkPkce } from '../../../lib/pkce.ts';
import { credentialKey } from '../../credentials/credentials.ts';
import { accessTokenSigner, completeGrant, issueTokens, newFamily, type GrantOutcome, type TokenResponse } from '../../credentials/issue.ts';
import { consumeCode, findCode, revokeFamily } from '../../credentials/credentials.repository.ts';
import type { StoredCode } from '../../credentials/stored-credentials.ts';

/**
 * RFC 6749 §4.1.3 with RFC 7636. The code is consumed by one conditional UPDATE; every check
 * happens after, in the same transaction, and a failed check still leaves the code consumed.
 * A second redemption revokes every token issued from the first (RFC 6749 §4.1.2, RFC 9700
 * §4.5.3, ASVS 5.0 10.4.2).
 */
export async function redeemAuthorizationCode(ctx: OrgContext, client: Client, body: RawParams): Promise<TokenResponse> {
  const code = requiredParam(body, 'code');
  const redirectUri = param(body, 'redirect_uri');
  const verifier = param(body, 'code_verifier');
  const key = credentialKey(code);
  const now = ctx.clock();

  const signer = await accessTokenSigner(ctx, client);
  const outcome: GrantOutcome = await retriedTransaction(ctx.db, async (trx): Promise<GrantOutcome> => {
    const stored = await consumeCode(trx, ctx.org.id, client.clientId, key, now);
    if (stored === undefined) {
      const existing = await findCode(trx, ctx.org.id, key);
      if (existing?.consumedAt != null) {
        await revokeFamily(trx, ctx.org.id, existing.familyId, now);
        return { error: new InvalidGrant('The authorization code was already used.', `replay of code for family ${existing.familyId}: family revoked`) };
      }
      return { error: new InvalidGrant('The authorization code is invalid, expired, or was issued to another client.', existing === undefined ? 'unknown code' : 'code of another client') };
    }
    const problem = checkRedemption(stored, { now, redirectUri, verifier });
    if (problem !== undefined) return { error: problem };

    const scope = splitScope(stored.scope);
    const user = { accountId: stored.accountId, authTime: stored.authTime };
    const family = newFamily(ctx, { id: stored.familyId, client, user, scope });
    const tokens = await issueTokens(ctx, trx, {
      grantType: 'authorization_code',
      client,
      scope,
      user,
      familyId: family.id,
      newFamily: family,
      refreshExpiresAt: client.grantTypes.includes('refresh_token') ? family.expiresAt : null,
      signer,
      idToken: { nonce: stored.nonce, sessionId: stored.sessionId },
    });
    return { tokens };
  });

  return completeGrant(outcome);
}

function checkRedemption(code: StoredCode, presented: { now: number; redirectUri: string | undefined; verifier: string | undefined }): OAuthError | undefined {
  if (code.expiresAt <= presented.now) return new InvalidGrant('The authorization code is invalid, expired, or was issued to another client.', 'expired code');
  // RFC 6749 §4.1.3: redirect_uri is required when it was in the authorization request (we always require it there).
  if (presented.redirectUri === undefined) return new InvalidRequest('The redirect_uri parameter is required.');
  if (presented.redirectUri !== code.redirectUri) return new InvalidGrant('The redirect_uri does not match the authorization request.');
  switch (checkPkce(presented.verifier, code.codeChallenge)) {
    case 'ok':
      return undefined;
    case 'verifier_missing':
      return new InvalidGrant('The code_verifier parameter is required: the authorization request had a code_challenge.');
    case 'verifier_unexpected':
      return new InvalidGrant('A code_verifier was sent, but the authorization request had no code_challenge.');
    case 'verifier_malformed':
      return new InvalidGrant('The code_verifier is malformed (RFC 7636 section 4.1).');
    case 'mismatch':
      return new InvalidGrant('The code_verifier does not match the code_challenge.');
  }
}
