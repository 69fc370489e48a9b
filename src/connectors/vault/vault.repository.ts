import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.ts';
import type { DataKeyInfo, StoredDataKey } from './data-key.ts';
import type { VaultDataKeysTable } from './vault.table.ts';

type Row = Selectable<VaultDataKeysTable>;

function toStoredKey(row: Row): StoredDataKey {
  return { orgId: row.org_id, id: row.id, sealedKey: row.sealed_key, createdAt: row.created_at, retiredAt: row.retired_at };
}

/**
 * Inserts `key` as the organization's active key unless it already has one, and says whether it
 * did. The unique index over org_id where retired_at is null settles two processes creating an
 * org's first key at once: the second insert does nothing (on PostgreSQL, once the first commits).
 */
export async function insertActiveKeyUnlessOneExists(db: Executor, key: StoredDataKey): Promise<boolean> {
  const inserted = await db
    .insertInto('vault_data_keys')
    .values({ org_id: key.orgId, id: key.id, sealed_key: key.sealedKey, created_at: key.createdAt, retired_at: null })
    .onConflict((conflict) => conflict.doNothing())
    .returning('id')
    .execute();
  return inserted.length === 1;
}

/** The key that seals for this organization, if it has one yet. */
export async function findActiveKey(db: Executor, orgId: string): Promise<StoredDataKey | undefined> {
  const row = await db.selectFrom('vault_data_keys').selectAll().where('org_id', '=', orgId).where('retired_at', 'is', null).executeTakeFirst();
  return row && toStoredKey(row);
}

/** A key of this organization by its id, active or retired. Another organization's key is not found. */
export async function findKey(db: Executor, orgId: string, id: string): Promise<StoredDataKey | undefined> {
  const row = await db.selectFrom('vault_data_keys').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && toStoredKey(row);
}

/**
 * Stops the organization's active key sealing (it still opens what it sealed). Returns its id, or
 * null when there was none (or a concurrent rotation retired it first). Call inside the
 * transaction that inserts the successor.
 */
export async function retireActiveKey(db: Executor, orgId: string, retiredAt: number): Promise<string | null> {
  const rows = await db
    .updateTable('vault_data_keys')
    .set({ retired_at: retiredAt })
    .where('org_id', '=', orgId)
    .where('retired_at', 'is', null)
    .returning('id')
    .execute();
  return rows[0]?.id ?? null;
}

/** Every data key of the organization, newest first, without key material. */
export async function listDataKeys(db: Executor, orgId: string): Promise<DataKeyInfo[]> {
  const rows = await db
    .selectFrom('vault_data_keys')
    .select(['id', 'created_at', 'retired_at'])
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ id: row.id, status: row.retired_at === null ? 'active' : 'retired', createdAt: row.created_at, retiredAt: row.retired_at }));
}
