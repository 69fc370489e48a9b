import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.ts';
import type { CredentialKey } from './credentials.ts';
import type { AccessTokensTable, AuthorizationCodesTable, RefreshTokensTable, TokenFamiliesTable } from '../oauth.table.ts';

export type AccessTokenRow = Selectable<AccessTokensTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type CodeRow = Selectable<AuthorizationCodesTable>;

export async function insertFamily(db: Executor, row: TokenFamiliesTable): Promise<void> {
  await db.insertInto('token_families').values(row).execute();
}

export async function insertAccessToken(db: Executor, row: AccessTokensTable): Promise<void> {
  await db.insertInto('access_tokens').values(row).execute();
}

export async function insertRefreshToken(db: Executor, row: RefreshTokensTable): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).execute();
}

export async function insertCode(db: Executor, row: AuthorizationCodesTable): Promise<void> {
  await db.insertInto('authorization_codes').values(row).execute();
}

// Every lookup of a presented credential is by its key: the id (primary key) and the hash of the
// whole credential, in one statement, so an id alone finds nothing.

export async function findAccessToken(db: Executor, orgId: string, key: CredentialKey): Promise<AccessTokenRow | undefined> {
  return db.selectFrom('access_tokens').selectAll().where('id', '=', key.id).where('token_hash', '=', key.hash).where('org_id', '=', orgId).executeTakeFirst();
}

export async function findRefreshToken(db: Executor, orgId: string, key: CredentialKey): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('id', '=', key.id).where('token_hash', '=', key.hash).where('org_id', '=', orgId).executeTakeFirst();
}

export async function findCode(db: Executor, orgId: string, key: CredentialKey): Promise<CodeRow | undefined> {
  return db.selectFrom('authorization_codes').selectAll().where('id', '=', key.id).where('code_hash', '=', key.hash).where('org_id', '=', orgId).executeTakeFirst();
}


/**
 * Marks a code used, only if it is unused and was issued to this client: one conditional UPDATE,
 * so of any number of concurrent redemptions exactly one gets the row (RFC 6749 §4.1.2: a code
 * is single use).
 */
export async function consumeCode(db: Executor, orgId: string, clientId: string, key: CredentialKey, now: number): Promise<CodeRow | undefined> {
  return db
    .updateTable('authorization_codes')
    .set({ consumed_at: now })
    .where('id', '=', key.id)
    .where('code_hash', '=', key.hash)
    .where('org_id', '=', orgId)
    .where('client_id', '=', clientId)
    .where('consumed_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Marks a refresh token rotated, only if it is current (neither rotated nor revoked) and was
 * issued to this client. One conditional UPDATE: concurrent uses of one token yield one winner.
 */
export async function rotateRefreshToken(db: Executor, orgId: string, clientId: string, key: CredentialKey, now: number): Promise<RefreshTokenRow | undefined> {
  return db
    .updateTable('refresh_tokens')
    .set({ rotated_at: now })
    .where('id', '=', key.id)
    .where('token_hash', '=', key.hash)
    .where('org_id', '=', orgId)
    .where('client_id', '=', clientId)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Revokes a family and every access and refresh token in it. Idempotent. */
export async function revokeFamily(db: Executor, orgId: string, familyId: string, now: number): Promise<void> {
  await db.updateTable('token_families').set({ revoked_at: now }).where('id', '=', familyId).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
}

export async function revokeAccessToken(db: Executor, orgId: string, id: string, now: number): Promise<void> {
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('id', '=', id).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
}

export type FamilyRow = Selectable<TokenFamiliesTable>;

/** The account's families neither revoked nor expired, oldest first. */
export async function listLiveFamiliesOfAccount(db: Executor, orgId: string, accountId: string, now: number): Promise<FamilyRow[]> {
  return db
    .selectFrom('token_families')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

/**
 * Revokes every live family of the account (of one client, with `clientId`) and every token in
 * them that could still be used: revokeFamily for all of them at once, in three statements.
 * Returns how many families were live.
 */
export async function revokeFamiliesOfAccount(db: Executor, orgId: string, accountId: string, now: number, options: { readonly clientId?: string } = {}): Promise<number> {
  const families = () => {
    let select = db.selectFrom('token_families').select('id').where('org_id', '=', orgId).where('account_id', '=', accountId);
    if (options.clientId !== undefined) select = select.where('client_id', '=', options.clientId);
    return select;
  };
  let update = db.updateTable('token_families').set({ revoked_at: now }).where('org_id', '=', orgId).where('account_id', '=', accountId).where('revoked_at', 'is', null).where('expires_at', '>', now);
  if (options.clientId !== undefined) update = update.where('client_id', '=', options.clientId);
  const result = await update.executeTakeFirst();
  // Tokens already expired are left alone: revoking them changes nothing but costs writes.
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('family_id', 'in', families()).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('family_id', 'in', families()).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  return Number(result.numUpdatedRows);
}

/**
 * Expires the account's unredeemed codes (of one client, with `clientId`), so that a code issued
 * just before an account was disabled or a grant revoked cannot start a new family: redeeming one
 * fails as an expired code (RFC 6749 §5.2 invalid_grant).
 */
export async function expireCodesOfAccount(db: Executor, orgId: string, accountId: string, now: number, options: { readonly clientId?: string } = {}): Promise<void> {
  let update = db.updateTable('authorization_codes').set({ expires_at: now }).where('org_id', '=', orgId).where('account_id', '=', accountId).where('consumed_at', 'is', null).where('expires_at', '>', now);
  if (options.clientId !== undefined) update = update.where('client_id', '=', options.clientId);
  await update.execute();
}

/**
 * Revokes everything a client holds in an org: its families, access and refresh tokens, and its
 * unredeemed codes. For rare, deliberate acts (suspending a client): it scans by client rather
 * than adding an index to the token tables, whose inserts are the hot path.
 */
export async function revokeEverythingOfClient(db: Executor, orgId: string, clientId: string, now: number): Promise<void> {
  await db.updateTable('token_families').set({ revoked_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('revoked_at', 'is', null).execute();
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  await db.updateTable('authorization_codes').set({ expires_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('consumed_at', 'is', null).where('expires_at', '>', now).execute();
}
