import { sql, type Kysely } from 'kysely';

// The connector vault's per-organization data keys (src/connectors/vault/). Third-party tokens,
// app client secrets and API keys are sealed under the org's active data key; each data key is
// itself sealed under the root key, bound to its org and id. A rotation retires the active key
// (retired_at set) and inserts the next; retired keys stay, since they still open what they sealed
// until everything is sealed again under the new one.
//
// One active key per org is held by the store, not by a process: the unique index over org_id
// where retired_at is null makes the second of two concurrent first inserts do nothing, on SQLite
// and on PostgreSQL alike (both know partial indexes).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vault_data_keys')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addPrimaryKeyConstraint('vault_data_keys_pk', ['org_id', 'id'])
    .execute();
  await db.schema.createIndex('vault_data_keys_one_active_idx').on('vault_data_keys').column('org_id').unique().where(sql.ref('retired_at'), 'is', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('vault_data_keys').execute();
}
