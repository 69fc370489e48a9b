import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { ConnectorAccount, ConnectorAccountUser } from './connector.ts';
import type { ConnectorAccountsTable, ConnectorAccountUsersTable } from './connectors.table.ts';

function toAccount(row: Selectable<ConnectorAccountsTable>): ConnectorAccount {
  return { orgId: row.org_id, id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toUser(row: Selectable<ConnectorAccountUsersTable>): ConnectorAccountUser {
  return { accountId: row.account_id, id: row.id, username: row.username, createdAt: row.created_at };
}

/** Inserts the account; a taken id is the store's unique violation (the caller says 409). */
export async function insertAccount(db: Executor, account: ConnectorAccount): Promise<void> {
  await db
    .insertInto('connector_accounts')
    .values({ org_id: account.orgId, id: account.id, name: account.name, created_at: account.createdAt, updated_at: account.updatedAt })
    .execute();
}

export async function findAccount(db: Executor, orgId: string, id: string): Promise<ConnectorAccount | undefined> {
  const row = await db.selectFrom('connector_accounts').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toAccount(row);
}

/** Oldest first, after the (created_at, id) of the previous page's last account. */
export async function listAccountsPage(db: Executor, orgId: string, page: { readonly limit: number; readonly after?: readonly [number, string] }): Promise<ConnectorAccount[]> {
  let query = db.selectFrom('connector_accounts').selectAll().where('org_id', '=', orgId);
  if (page.after !== undefined) {
    const [createdAt, id] = page.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
  return rows.map(toAccount);
}

export async function renameAccount(db: Executor, orgId: string, id: string, name: string, now: number): Promise<boolean> {
  const result = await db.updateTable('connector_accounts').set({ name, updated_at: now }).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes the account, and with it (ON DELETE CASCADE) its users and connectors. */
export async function deleteAccount(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('connector_accounts').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Inserts the user unless its account already has one of that username (a concurrent first use): then nothing. */
export async function insertAccountUserIfAbsent(db: Executor, orgId: string, user: ConnectorAccountUser): Promise<void> {
  await db
    .insertInto('connector_account_users')
    .values({ org_id: orgId, account_id: user.accountId, id: user.id, username: user.username, created_at: user.createdAt })
    .onConflict((oc) => oc.columns(['org_id', 'account_id', 'username']).doNothing())
    .execute();
}

export async function findAccountUser(db: Executor, orgId: string, accountId: string, username: string): Promise<ConnectorAccountUser | undefined> {
  const row = await db
    .selectFrom('connector_account_users')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('username', '=', username)
    .executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

/** The account's users, oldest first, after the (created_at, id) given. */
export async function listAccountUsersPage(
  db: Executor,
  orgId: string,
  accountId: string,
  page: { readonly limit: number; readonly after?: readonly [number, string] },
): Promise<ConnectorAccountUser[]> {
  let query = db.selectFrom('connector_account_users').selectAll().where('org_id', '=', orgId).where('account_id', '=', accountId);
  if (page.after !== undefined) {
    const [createdAt, id] = page.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
  return rows.map(toUser);
}
