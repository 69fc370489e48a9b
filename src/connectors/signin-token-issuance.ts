import type { AuditActor } from '../audit/audit-event.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { issueSignInToken, type IssuedSignInToken } from './signin-tokens.ts';

// The use case behind POST /o/<slug>/v1.0/accounts/{AccountId}/signintoken: the token and its audit
// event in one transaction. Its caller is another server of the partner, not a staff user: an
// OAuth client acting for itself, or a staff API key; the route has checked either's right to it.

/** Who asked for the token, as the audit log names it. */
export type SignInTokenRequester =
  | { readonly type: 'client'; readonly clientId: string }
  | { readonly type: 'api_key'; readonly apiKeyId: string };

export interface SignInTokenRequest {
  readonly orgId: string;
  readonly accountId: string;
  readonly username: string;
  readonly requester: SignInTokenRequester;
  /** The address the request came from, for the audit log. */
  readonly ip: string;
}

/**
 * Issues the token (issueSignInToken: NotFoundError for an account not of the org,
 * InvalidInputError for a bad username) and records `connector.signin_token_issued`: the
 * requester, the account, the user and the token's id, never the token.
 */
export async function requestSignInToken(db: Executor, clock: Clock, request: SignInTokenRequest): Promise<IssuedSignInToken> {
  return inTransaction(db, async (trx) => {
    const issued = await issueSignInToken(trx, clock, request.orgId, request.accountId, request.username);
    const actor: AuditActor = request.requester.type === 'client' ? { type: 'client', id: request.requester.clientId } : { type: 'api_key', id: request.requester.apiKeyId };
    await recordAudit(trx, clock, request.orgId, {
      action: 'connector.signin_token_issued',
      actor,
      target: { type: 'connector_account', id: request.accountId },
      ip: request.ip,
      details: { user_id: issued.userId, user_created: issued.userCreated, token_id: issued.tokenId, expires_at: new Date(issued.expiresAt).toISOString() },
    });
    return issued;
  });
}
