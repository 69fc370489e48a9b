import type { Executor } from '../db/database.ts';
import type { ApiKeysTable, StaffUsersTable } from './staff.table.ts';

export async function insertStaffUser(db: Executor, row: StaffUsersTable): Promise<void> {
  await db.insertInto('staff_users').values(row).execute();
}

export async function insertApiKey(db: Executor, row: ApiKeysTable): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}
