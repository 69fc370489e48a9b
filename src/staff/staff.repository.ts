import type { Executor } from '../db/database.ts';
import type { Selectable } from 'kysely';
import type { ApiKeysTable, ApiSessionsTable, StaffSessionsTable, StaffUsersTable } from './staff.table.ts';

export async function insertStaffUser(db: Executor, row: StaffUsersTable): Promise<void> {
  await db.insertInto('staff_users').values(row).execute();
}

export async function insertApiKey(db: Executor, row: ApiKeysTable): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function findStaffUserByEmailKey(db: Executor, orgId: string, emailKey: string): Promise<Selectable<StaffUsersTable> | undefined> {
  return db.selectFrom('staff_users').selectAll().where('org_id', '=', orgId).where('email_key', '=', emailKey).executeTakeFirst();
}

export async function findStaffUserById(db: Executor, orgId: string, id: string): Promise<Selectable<StaffUsersTable> | undefined> {
  return db.selectFrom('staff_users').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

export async function insertStaffSession(db: Executor, row: StaffSessionsTable): Promise<void> {
  await db.insertInto('staff_sessions').values(row).execute();
}

/** The live session a hash names, with its user, only while the user is active. One indexed join. */
export async function findLiveStaffSession(db: Executor, orgId: string, idHash: string, now: number): Promise<{ staffUserId: string; email: string; role: string } | undefined> {
  const row = await db
    .selectFrom('staff_sessions')
    .innerJoin('staff_users', (join) => join.onRef('staff_users.id', '=', 'staff_sessions.staff_user_id').onRef('staff_users.org_id', '=', 'staff_sessions.org_id'))
    .select(['staff_users.id as staffUserId', 'staff_users.email as email', 'staff_users.role as role'])
    .where('staff_sessions.id_hash', '=', idHash)
    .where('staff_sessions.org_id', '=', orgId)
    .where('staff_sessions.ended_at', 'is', null)
    .where('staff_sessions.expires_at', '>', now)
    .where('staff_users.status', '=', 'active')
    .executeTakeFirst();
  return row;
}

export async function endStaffSession(db: Executor, orgId: string, idHash: string, now: number): Promise<void> {
  await db.updateTable('staff_sessions').set({ ended_at: now }).where('id_hash', '=', idHash).where('org_id', '=', orgId).where('ended_at', 'is', null).execute();
}

export interface KeyCredentialRow {
  readonly keyId: string;
  readonly secretHash: string;
  readonly staffUserId: string;
  readonly role: string;
  readonly lastUsedAt: number | null;
}

/** An unrevoked key of an active staff user of the org, by its public prefix. One indexed join. */
export async function findUsableApiKey(db: Executor, orgId: string, prefix: string): Promise<KeyCredentialRow | undefined> {
  return db
    .selectFrom('api_keys')
    .innerJoin('staff_users', (join) => join.onRef('staff_users.id', '=', 'api_keys.staff_user_id').onRef('staff_users.org_id', '=', 'api_keys.org_id'))
    .select(['api_keys.id as keyId', 'api_keys.secret_hash as secretHash', 'staff_users.id as staffUserId', 'staff_users.role as role', 'api_keys.last_used_at as lastUsedAt'])
    .where('api_keys.prefix', '=', prefix)
    .where('api_keys.org_id', '=', orgId)
    .where('api_keys.revoked_at', 'is', null)
    .where('staff_users.status', '=', 'active')
    .executeTakeFirst();
}

export async function touchApiKey(db: Executor, orgId: string, keyId: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).where('org_id', '=', orgId).execute();
}

export async function insertApiSession(db: Executor, row: ApiSessionsTable): Promise<void> {
  await db.insertInto('api_sessions').values(row).execute();
}

export interface ApiSessionRow {
  readonly orgId: string;
  readonly keyId: string;
  readonly staffUserId: string;
  readonly role: string;
  readonly lastUsedAt: number;
  readonly expiresAt: number;
}

/** A session whose key is unrevoked and whose user is active; expiry is the caller's to judge. */
export async function findUsableApiSession(db: Executor, idHash: string): Promise<ApiSessionRow | undefined> {
  return db
    .selectFrom('api_sessions')
    .innerJoin('api_keys', 'api_keys.id', 'api_sessions.api_key_id')
    .innerJoin('staff_users', (join) => join.onRef('staff_users.id', '=', 'api_sessions.staff_user_id').onRef('staff_users.org_id', '=', 'api_sessions.org_id'))
    .select([
      'api_sessions.org_id as orgId',
      'api_sessions.api_key_id as keyId',
      'api_sessions.staff_user_id as staffUserId',
      'staff_users.role as role',
      'api_sessions.last_used_at as lastUsedAt',
      'api_sessions.expires_at as expiresAt',
    ])
    .where('api_sessions.id_hash', '=', idHash)
    .where('api_sessions.ended_at', 'is', null)
    .where('api_keys.revoked_at', 'is', null)
    .where('staff_users.status', '=', 'active')
    .executeTakeFirst();
}

export async function touchApiSession(db: Executor, idHash: string, now: number): Promise<void> {
  await db.updateTable('api_sessions').set({ last_used_at: now }).where('id_hash', '=', idHash).execute();
}

export async function endApiSession(db: Executor, idHash: string, now: number): Promise<void> {
  await db.updateTable('api_sessions').set({ ended_at: now }).where('id_hash', '=', idHash).where('ended_at', 'is', null).execute();
}

export async function listStaffUserRows(db: Executor, orgId: string, options: { readonly limit: number; readonly afterId?: string }): Promise<Array<Selectable<StaffUsersTable>>> {
  let query = db.selectFrom('staff_users').selectAll().where('org_id', '=', orgId);
  if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
  return query.orderBy('id').limit(options.limit).execute();
}

/**
 * Locks the org's active owners until the transaction ends and returns their ids. A no-op UPDATE
 * rather than SELECT … FOR UPDATE, which SQLite lacks: on PostgreSQL it takes the row locks, so
 * two owners demoting (or disabling) each other at once are serialized and the second sees the
 * first's change (READ COMMITTED re-checks the WHERE after the wait); SQLite runs one writer at a time.
 */
export async function lockActiveOwners(db: Executor, orgId: string): Promise<string[]> {
  const rows = await db
    .updateTable('staff_users')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('org_id', '=', orgId)
    .where('role', '=', 'owner')
    .where('status', '=', 'active')
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/** Changes role and display name, only if the user is still at `expectedUpdatedAt`. */
export async function updateStaffUserRow(
  db: Executor,
  orgId: string,
  id: string,
  change: { readonly role: string; readonly displayName: string | null },
  expectedUpdatedAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('staff_users')
    .set({ role: change.role, display_name: change.displayName, updated_at: now })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Replaces the password hash and ends the user's browser sessions (API keys are other credentials). */
export async function setStaffPasswordHash(db: Executor, orgId: string, id: string, passwordHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('staff_users').set({ password_hash: passwordHash, updated_at: now }).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  await db.updateTable('staff_sessions').set({ ended_at: now }).where('org_id', '=', orgId).where('staff_user_id', '=', id).where('ended_at', 'is', null).execute();
  return result.numUpdatedRows > 0n;
}

export async function setStaffStatus(db: Executor, orgId: string, id: string, status: 'active' | 'disabled', now: number): Promise<boolean> {
  const result = await db.updateTable('staff_users').set({ status, updated_at: now }).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes every key of a staff user and ends all its sessions (sign-in and API v1). */
export async function revokeEverythingOf(db: Executor, orgId: string, staffUserId: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: now }).where('org_id', '=', orgId).where('staff_user_id', '=', staffUserId).where('revoked_at', 'is', null).execute();
  await db.updateTable('staff_sessions').set({ ended_at: now }).where('org_id', '=', orgId).where('staff_user_id', '=', staffUserId).where('ended_at', 'is', null).execute();
  await db.updateTable('api_sessions').set({ ended_at: now }).where('org_id', '=', orgId).where('staff_user_id', '=', staffUserId).where('ended_at', 'is', null).execute();
}

export async function listApiKeyRows(db: Executor, orgId: string, staffUserId: string): Promise<Array<Selectable<ApiKeysTable>>> {
  return db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('staff_user_id', '=', staffUserId).orderBy('created_at').execute();
}

export async function findApiKeyRow(db: Executor, orgId: string, keyId: string): Promise<Selectable<ApiKeysTable> | undefined> {
  return db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', keyId).executeTakeFirst();
}

/** Revokes one key and ends the API sessions opened with it. */
export async function revokeApiKeyRow(db: Executor, orgId: string, keyId: string, now: number): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: now }).where('org_id', '=', orgId).where('id', '=', keyId).where('revoked_at', 'is', null).executeTakeFirst();
  await db.updateTable('api_sessions').set({ ended_at: now }).where('org_id', '=', orgId).where('api_key_id', '=', keyId).where('ended_at', 'is', null).execute();
  return result.numUpdatedRows > 0n;
}

/**
 * The staff users behind audit actors, by actor id: the owners of API keys (used directly or
 * through an API v1 session) and staff users themselves, as they are now (keys and staff users are
 * never deleted, only revoked and disabled). At most one statement for each kind.
 */
export async function findUsersBehindActors(
  db: Executor,
  orgId: string,
  actors: { readonly apiKeyIds: readonly string[]; readonly staffUserIds: readonly string[] },
): Promise<{ ofKeys: ActorUserRow[]; ofStaff: ActorUserRow[] }> {
  const viaKeys: ActorUserRow[] =
    actors.apiKeyIds.length === 0
      ? []
      : await db
          .selectFrom('api_keys as k')
          .innerJoin('staff_users as u', (join) => join.onRef('u.id', '=', 'k.staff_user_id').onRef('u.org_id', '=', 'k.org_id'))
          .select(['k.id as actor_id', 'u.id', 'u.email', 'u.display_name'])
          .where('k.org_id', '=', orgId)
          .where('k.id', 'in', actors.apiKeyIds)
          .execute();
  const direct: ActorUserRow[] =
    actors.staffUserIds.length === 0
      ? []
      : await db.selectFrom('staff_users').select(['id as actor_id', 'id', 'email', 'display_name']).where('org_id', '=', orgId).where('id', 'in', actors.staffUserIds).execute();
  return { ofKeys: viaKeys, ofStaff: direct };
}

export interface ActorUserRow {
  actor_id: string;
  id: string;
  email: string;
  display_name: string | null;
}
