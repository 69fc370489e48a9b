import type { Executor } from '../db/database.ts';
import type { Selectable } from 'kysely';
import type { ApiKeysTable, StaffSessionsTable, StaffUsersTable } from './staff.table.ts';

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
