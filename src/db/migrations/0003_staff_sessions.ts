import type { Kysely } from 'kysely';

// Staff sign-in sessions: a cookie of their own, never the constituents' SSO session.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('staff_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('staff_user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addForeignKeyConstraint('staff_sessions_user_fk', ['org_id', 'staff_user_id'], 'staff_users', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('staff_sessions_user_idx').on('staff_sessions').columns(['org_id', 'staff_user_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('staff_sessions').execute();
}
