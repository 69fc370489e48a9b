import type { Kysely } from 'kysely';

// Client lifecycle: registration requests awaiting approval (who asked, why, by which channel),
// and secret rotation with a grace period for the previous secret. One column per statement:
// SQLite's ALTER TABLE adds a single column at a time.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('previous_secret_hash', 'text').execute();
  await db.schema.alterTable('clients').addColumn('previous_secret_expires_at', 'bigint').execute();
  await db.schema.alterTable('clients').addColumn('registration_source', 'text', (c) => c.notNull().defaultTo('staff')).execute();
  await db.schema.alterTable('clients').addColumn('requester_name', 'text').execute();
  await db.schema.alterTable('clients').addColumn('requester_email', 'text').execute();
  await db.schema.alterTable('clients').addColumn('request_reason', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['request_reason', 'requester_email', 'requester_name', 'registration_source', 'previous_secret_expires_at', 'previous_secret_hash']) {
    await db.schema.alterTable('clients').dropColumn(column).execute();
  }
}
