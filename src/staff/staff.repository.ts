import { sql, type Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { PrecompiledQuery } from '../db/precompiled.ts';
import type { ActorUser, ApiKeyInfo, StaffUser } from './staff-user.ts';
import type { ApiKeysTable, StaffUsersTable } from './staff.table.ts';

function toStaffUser(row: Selectable<StaffUsersTable>): StaffUser {
  return { id: row.id, email: row.email, name: row.display_name, role: row.role, status: row.status, hasPassword: row.password_hash !== null, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toApiKeyInfo(row: Selectable<ApiKeysTable>): ApiKeyInfo {
  return { id: row.id, staffUserId: row.staff_user_id, prefix: row.prefix, label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}

/** A new staff user as stored: active, its email's key for the unique lookup, its password's hash if any. */
export interface StaffUserToStore {
  readonly id: string;
  readonly email: string;
  readonly emailKey: string;
  readonly displayName: string | null;
  readonly role: string;
  readonly passwordHash: string | null;
  readonly createdAt: number;
}

export async function insertStaffUser(db: Executor, orgId: string, user: StaffUserToStore): Promise<void> {
  await db
    .insertInto('staff_users')
    .values({
      id: user.id,
      org_id: orgId,
      email: user.email,
      email_key: user.emailKey,
      display_name: user.displayName,
      role: user.role,
      password_hash: user.passwordHash,
      status: 'active',
      created_at: user.createdAt,
      updated_at: user.createdAt,
    })
    .execute();
}

/** A new API key as stored: only the SHA-256 of its secret, never used, never revoked. */
export interface ApiKeyToStore {
  readonly id: string;
  readonly staffUserId: string;
  readonly prefix: string;
  readonly secretHash: string;
  readonly label: string | null;
  readonly createdAt: number;
}

export async function insertApiKey(db: Executor, orgId: string, key: ApiKeyToStore): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({ id: key.id, org_id: orgId, staff_user_id: key.staffUserId, prefix: key.prefix, secret_hash: key.secretHash, label: key.label, created_at: key.createdAt, last_used_at: null, revoked_at: null })
    .execute();
}

/** The row, password hash included, for signing in (staff-sessions.ts). */
/** The staff user with this email key, with its password hash (null: it has none), which only sign-in verifies. */
export async function findStaffUserByEmailKey(db: Executor, orgId: string, emailKey: string): Promise<{ user: StaffUser; passwordHash: string | null } | undefined> {
  const row = await db.selectFrom('staff_users').selectAll().where('org_id', '=', orgId).where('email_key', '=', emailKey).executeTakeFirst();
  return row === undefined ? undefined : { user: toStaffUser(row), passwordHash: row.password_hash };
}

export async function findStaffUser(db: Executor, orgId: string, id: string): Promise<StaffUser | undefined> {
  const row = await db.selectFrom('staff_users').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toStaffUser(row);
}

export async function insertStaffSession(db: Executor, orgId: string, session: { readonly idHash: string; readonly staffUserId: string; readonly createdAt: number; readonly expiresAt: number }): Promise<void> {
  await db
    .insertInto('staff_sessions')
    .values({ id_hash: session.idHash, org_id: orgId, staff_user_id: session.staffUserId, created_at: session.createdAt, expires_at: session.expiresAt, ended_at: null })
    .execute();
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
// Precompiled (db/precompiled.ts): every management API request authenticated by a key runs it.
const findUsableApiKeyQuery = new PrecompiledQuery<{ readonly orgId: string; readonly prefix: string }, KeyCredentialRow>({ orgId: true, prefix: true }, (db, p) =>
  db
    .selectFrom('api_keys')
    .innerJoin('staff_users', (join) => join.onRef('staff_users.id', '=', 'api_keys.staff_user_id').onRef('staff_users.org_id', '=', 'api_keys.org_id'))
    .select(['api_keys.id as keyId', 'api_keys.secret_hash as secretHash', 'staff_users.id as staffUserId', 'staff_users.role as role', 'api_keys.last_used_at as lastUsedAt'])
    .where('api_keys.prefix', '=', p.prefix)
    .where('api_keys.org_id', '=', p.orgId)
    .where('api_keys.revoked_at', 'is', null)
    .where('staff_users.status', '=', sql.lit('active')),
);

/** An unrevoked key of an active staff user of the org, by its public prefix. One indexed join. */
export async function findUsableApiKey(db: Executor, orgId: string, prefix: string): Promise<KeyCredentialRow | undefined> {
  return findUsableApiKeyQuery.first(db, { orgId, prefix });
}

export async function touchApiKey(db: Executor, orgId: string, keyId: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).where('org_id', '=', orgId).execute();
}

/** A new API v1 session as stored: the SHA-256 of its id, used first at its creation. */
export interface ApiSessionToStore {
  readonly idHash: string;
  readonly orgId: string;
  readonly apiKeyId: string;
  readonly staffUserId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export async function insertApiSession(db: Executor, session: ApiSessionToStore): Promise<void> {
  await db
    .insertInto('api_sessions')
    .values({
      id_hash: session.idHash,
      org_id: session.orgId,
      api_key_id: session.apiKeyId,
      staff_user_id: session.staffUserId,
      created_at: session.createdAt,
      last_used_at: session.createdAt,
      expires_at: session.expiresAt,
      ended_at: null,
    })
    .execute();
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

/** The org's staff users in id order, after `afterId` when given. */
export async function listStaffUsers(db: Executor, orgId: string, options: { readonly limit: number; readonly afterId?: string }): Promise<StaffUser[]> {
  let query = db.selectFrom('staff_users').selectAll().where('org_id', '=', orgId);
  if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
  return (await query.orderBy('id').limit(options.limit).execute()).map(toStaffUser);
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

export async function listApiKeys(db: Executor, orgId: string, staffUserId: string): Promise<ApiKeyInfo[]> {
  return (await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('staff_user_id', '=', staffUserId).orderBy('created_at').execute()).map(toApiKeyInfo);
}

export async function findApiKey(db: Executor, orgId: string, keyId: string): Promise<ApiKeyInfo | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', keyId).executeTakeFirst();
  return row === undefined ? undefined : toApiKeyInfo(row);
}

/** Revokes one key and ends the API sessions opened with it. */
export async function revokeApiKeyRow(db: Executor, orgId: string, keyId: string, now: number): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: now }).where('org_id', '=', orgId).where('id', '=', keyId).where('revoked_at', 'is', null).executeTakeFirst();
  await db.updateTable('api_sessions').set({ ended_at: now }).where('org_id', '=', orgId).where('api_key_id', '=', keyId).where('ended_at', 'is', null).execute();
  return result.numUpdatedRows > 0n;
}

/**
 * When each of these staff users last signed in to the console (its newest session's start), for
 * those that ever did. One grouped statement over the sessions' (org_id, staff_user_id) index.
 */
export async function lastStaffSignIns(db: Executor, orgId: string, userIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('staff_sessions')
    .select((eb) => ['staff_user_id', eb.fn.max('created_at').as('last')])
    .where('org_id', '=', orgId)
    .where('staff_user_id', 'in', userIds)
    .groupBy('staff_user_id')
    .execute();
  return new Map(rows.map((row) => [row.staff_user_id, Number(row.last)]));
}

/**
 * Each of these staff users' usable (unrevoked) API keys and the last time any of its keys was
 * used, for those that have keys. One grouped statement over the keys' (org_id, staff_user_id) index.
 */
export async function apiKeyUseOf(db: Executor, orgId: string, userIds: readonly string[]): Promise<Map<string, { readonly usable: number; readonly lastUsedAt: number | null }>> {
  const rows = await db
    .selectFrom('api_keys')
    .select((eb) => [
      'staff_user_id',
      eb.fn.sum<number | string>(eb.case().when('revoked_at', 'is', null).then(1).else(0).end()).as('usable'),
      eb.fn.max('last_used_at').as('last_used'),
    ])
    .where('org_id', '=', orgId)
    .where('staff_user_id', 'in', userIds)
    .groupBy('staff_user_id')
    .execute();
  // PostgreSQL answers sums and maxima of bigint as strings.
  return new Map(rows.map((row) => [row.staff_user_id, { usable: Number(row.usable), lastUsedAt: row.last_used === null ? null : Number(row.last_used) }]));
}

/** An audit actor's id and the staff user behind it. */
export interface UserBehindActor {
  readonly actorId: string;
  readonly user: ActorUser;
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
): Promise<{ ofKeys: UserBehindActor[]; ofStaff: UserBehindActor[] }> {
  const viaKeys =
    actors.apiKeyIds.length === 0
      ? []
      : await db
          .selectFrom('api_keys as k')
          .innerJoin('staff_users as u', (join) => join.onRef('u.id', '=', 'k.staff_user_id').onRef('u.org_id', '=', 'k.org_id'))
          .select(['k.id as actor_id', 'u.id', 'u.email', 'u.display_name'])
          .where('k.org_id', '=', orgId)
          .where('k.id', 'in', actors.apiKeyIds)
          .execute();
  const direct =
    actors.staffUserIds.length === 0
      ? []
      : await db.selectFrom('staff_users').select(['id as actor_id', 'id', 'email', 'display_name']).where('org_id', '=', orgId).where('id', 'in', actors.staffUserIds).execute();
  const behind = (row: { actor_id: string; id: string; email: string; display_name: string | null }): UserBehindActor => ({ actorId: row.actor_id, user: { id: row.id, email: row.email, name: row.display_name } });
  return { ofKeys: viaKeys.map(behind), ofStaff: direct.map(behind) };
}
