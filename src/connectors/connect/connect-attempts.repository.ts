import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.ts';
import { connectAttemptVerifierAad, type ConnectAttempt } from './connect-attempt.ts';
import type { ConnectorAuthAttemptsTable } from './connect-attempts.table.ts';
import type { ResealedValue, SealedValue } from '../vault/data-key.ts';

function toAttempt(row: Selectable<ConnectorAuthAttemptsTable>): ConnectAttempt {
  return {
    orgId: row.org_id,
    id: row.id,
    stateHash: row.state_hash,
    accountConnectorId: row.account_connector_id,
    accountUserId: row.account_user_id,
    browserHash: row.browser_hash,
    sealedCodeVerifier: row.code_verifier,
    target: row.target_origin,
    callbackMessage: row.callback_message,
    finish: row.finish,
    expiresAt: Number(row.expires_at),
    createdAt: Number(row.created_at),
  };
}

export async function insertConnectAttempt(db: Executor, attempt: ConnectAttempt): Promise<void> {
  await db
    .insertInto('connector_auth_attempts')
    .values({
      org_id: attempt.orgId,
      id: attempt.id,
      state_hash: attempt.stateHash,
      account_connector_id: attempt.accountConnectorId,
      account_user_id: attempt.accountUserId,
      browser_hash: attempt.browserHash,
      code_verifier: attempt.sealedCodeVerifier,
      target_origin: attempt.target,
      callback_message: attempt.callbackMessage,
      finish: attempt.finish,
      expires_at: attempt.expiresAt,
      created_at: attempt.createdAt,
    })
    .execute();
}

export async function findConnectAttemptByState(db: Executor, orgId: string, stateHash: string): Promise<ConnectAttempt | undefined> {
  const row = await db.selectFrom('connector_auth_attempts').selectAll().where('org_id', '=', orgId).where('state_hash', '=', stateHash).executeTakeFirst();
  return row === undefined ? undefined : toAttempt(row);
}

/** Deletes the attempt: true for the one caller that deleted it, false for every other (a replay, a concurrent callback). */
export async function consumeConnectAttempt(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('connector_auth_attempts').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes up to `limit` attempts that expired before `before` (browsers that never came back); returns how many. */
export async function deleteExpiredConnectAttempts(db: Executor, before: number, limit: number): Promise<number> {
  const expired = db.selectFrom('connector_auth_attempts').select('id').where('expires_at', '<', before).limit(limit);
  const result = await db.deleteFrom('connector_auth_attempts').where('id', 'in', expired).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The organization's sealed PKCE code verifiers after `afterId`, in id order (a vault re-seal pass's read). */
export async function listSealedCodeVerifiers(db: Executor, orgId: string, afterId: string | null, limit: number): Promise<SealedValue[]> {
  let query = db.selectFrom('connector_auth_attempts').select(['id', 'code_verifier']).where('org_id', '=', orgId).where('code_verifier', 'is not', null);
  if (afterId !== null) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, ciphertext: row.code_verifier!, aad: connectAttemptVerifierAad(row.id) }));
}

/** Stores a re-sealed code verifier only if the attempt still exists and holds the one read (a callback may have consumed it). */
export async function replaceSealedCodeVerifier(db: Executor, orgId: string, value: ResealedValue): Promise<boolean> {
  const result = await db
    .updateTable('connector_auth_attempts')
    .set({ code_verifier: value.ciphertext })
    .where('org_id', '=', orgId)
    .where('id', '=', value.id)
    .where('code_verifier', '=', value.previous)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
