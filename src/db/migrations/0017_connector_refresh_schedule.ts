import { sql, type Kysely } from 'kysely';

// The background refresh of account connectors (src/connectors/refresh/): when each one is due
// (`next_refresh_at`, set whenever credentials are stored or a refresh fails), when it was last
// refreshed, the last failure (the provider's error code and description, never a secret) and the
// failures in a row. Every server process scans the due, authenticated ones across organizations,
// oldest first: an index on next_refresh_at, partial on the status, holds only what a scan may
// find (the many unauthenticated or needs_reauth rows are not in it).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('account_connectors').addColumn('next_refresh_at', 'bigint').execute();
  await db.schema.alterTable('account_connectors').addColumn('last_refreshed_at', 'bigint').execute();
  await db.schema.alterTable('account_connectors').addColumn('last_refresh_error', 'text').execute();
  await db.schema.alterTable('account_connectors').addColumn('last_refresh_error_description', 'text').execute();
  await db.schema.alterTable('account_connectors').addColumn('refresh_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createIndex('account_connectors_next_refresh_idx')
    .on('account_connectors')
    .column('next_refresh_at')
    .where(sql.ref('status'), '=', sql.lit('authenticated'))
    .execute();
  // Connectors already authenticated are scheduled by what the row says: a minute before their
  // expiry (the catalogue's margins are applied from their next refresh on).
  await sql`update account_connectors set next_refresh_at = access_expires_at - 60000 where status = 'authenticated' and access_expires_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('account_connectors_next_refresh_idx').execute();
  for (const column of ['refresh_attempts', 'last_refresh_error_description', 'last_refresh_error', 'last_refreshed_at', 'next_refresh_at']) {
    await db.schema.alterTable('account_connectors').dropColumn(column).execute();
  }
}
