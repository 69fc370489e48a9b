import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { ConnectorSignInToken } from './connector.ts';
import type { ConnectorSigninTokensTable } from './connectors.table.ts';

function toSignInToken(row: Selectable<ConnectorSigninTokensTable>): ConnectorSignInToken {
  return {
    orgId: row.org_id,
    id: row.id,
    tokenHash: row.token_hash,
    accountId: row.account_id,
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

export async function insertSignInToken(db: Executor, token: ConnectorSignInToken): Promise<void> {
  await db
    .insertInto('connector_signin_tokens')
    .values({
      org_id: token.orgId,
      id: token.id,
      token_hash: token.tokenHash,
      account_id: token.accountId,
      user_id: token.userId,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      used_at: token.usedAt,
    })
    .execute();
}

export async function findSignInTokenByHash(db: Executor, orgId: string, tokenHash: string): Promise<ConnectorSignInToken | undefined> {
  const row = await db.selectFrom('connector_signin_tokens').selectAll().where('token_hash', '=', tokenHash).where('org_id', '=', orgId).executeTakeFirst();
  return row === undefined ? undefined : toSignInToken(row);
}

/**
 * Marks the token used if it is unused, unexpired (and of `accountId` when given), in one
 * statement: of any number of concurrent uses, the store lets exactly one match. Returns the row
 * as used, or undefined when nothing matched.
 */
export async function useSignInToken(
  db: Executor,
  orgId: string,
  tokenHash: string,
  now: number,
  accountId: string | undefined,
): Promise<ConnectorSignInToken | undefined> {
  let update = db
    .updateTable('connector_signin_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('org_id', '=', orgId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now);
  if (accountId !== undefined) update = update.where('account_id', '=', accountId);
  const row = await update.returningAll().executeTakeFirst();
  return row === undefined ? undefined : toSignInToken(row);
}

/** Deletes up to `limit` tokens expired before `before`, in every organization; returns how many. */
export async function deleteExpiredSignInTokens(db: Executor, before: number, limit: number): Promise<number> {
  const expired = db.selectFrom('connector_signin_tokens').select('token_hash').where('expires_at', '<', before).limit(limit);
  const result = await db.deleteFrom('connector_signin_tokens').where('token_hash', 'in', expired).executeTakeFirst();
  return Number(result.numDeletedRows);
}
