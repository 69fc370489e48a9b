import { inTransaction } from '../db/transaction.ts';
import { collectInvalid, ConflictError, InvalidInputError, throwIfInvalid } from '../lib/errors.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { loadAccountConnector } from './account-connector-admin.ts';
import { checkAccountUsername } from './account-users.ts';
import { START_PATH } from './connect/connect-deps.ts';
import { allowedTarget } from './connect/target-origin.ts';
import { issueSignInToken } from './signin-tokens.ts';

// A staff user's way to the seed's connect flow without the partner's backend: the sign-in token
// the backend would ask for (POST …/signintoken), issued for a user of the connector's account,
// and the updateaccountconnectoroauth URL that presents it, to hand to the customer. Whoever holds
// the URL may connect the account's connectors for five minutes, once: it is returned to the
// caller only, and the audit event names the token's id, never the token.

export interface ConnectLinkRequest {
  readonly username: string;
  /** One of the org's connect target origins: where the browser lands after the provider. */
  readonly targetOrigin: string;
}

export interface ConnectLink {
  /** Holds the single-use token: show it once, never store or log it. */
  readonly url: string;
  readonly expiresAt: number;
}

/** The rules of the username, which need no store (the API judges them beside its schema). */
export function connectLinkErrors(fields: { readonly username?: string }): InvalidInputError[] {
  const errors: InvalidInputError[] = [];
  if (fields.username !== undefined) collectInvalid(errors, () => checkAccountUsername(fields.username!.trim(), 'username'));
  return errors;
}

/**
 * Issues a connect link for the account connector `id`: InvalidInputError on `username` or
 * `target_origin` (not one of the org's connect target origins), NotFoundError for an unknown
 * connector, ConflictError for a disabled one. Audited as `connector.connect_link_issued` with the user and the token's id.
 */
export async function issueConnectLink(ctx: OperationContext & { readonly publicUrl: string }, id: string, request: ConnectLinkRequest): Promise<ConnectLink> {
  requirePermission(ctx.actor, 'connectors:write');
  const errors = connectLinkErrors(request);
  const username = request.username.trim();
  const origin = allowedTarget(request.targetOrigin, ctx.org.settings.connectTargetOrigins);
  if (origin === null) errors.push(new InvalidInputError('target_origin', "must be one of the organization's connect target origins (Settings)"));
  throwIfInvalid(errors);
  return inTransaction(ctx.db, async (trx) => {
    const connector = await loadAccountConnector(trx, ctx.org.id, id);
    // The flow would refuse it (connection-setup.ts): a link that cannot work is not handed out.
    if (connector.status === 'disabled') throw new ConflictError('status', 'the connector is disabled; enable it before sending a connect link');
    const issued = await issueSignInToken(trx, ctx.clock, ctx.org.id, connector.accountId, username);
    await recordOperation(trx, ctx, {
      action: 'connector.connect_link_issued',
      target: { type: 'account_connector', id: connector.id },
      details: { account_id: connector.accountId, user_id: issued.userId, user_created: issued.userCreated, token_id: issued.tokenId, target_origin: origin!, expires_at: new Date(issued.expiresAt).toISOString() },
    });
    const query = new URLSearchParams({ id: connector.id, token: issued.token, targetOrigin: origin! });
    return { url: `${ctx.publicUrl}/o/${ctx.org.slug}${START_PATH}?${query.toString()}`, expiresAt: issued.expiresAt };
  });
}
