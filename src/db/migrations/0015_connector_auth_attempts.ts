import type { Kysely } from 'kysely';

// The hosted connect flow's pending attempts (src/connectors/connect/): one row from the moment
// the browser is sent to a provider until its redirect back, found by the hash of `state` and
// deleted by the callback that consumes it (one conditional DELETE: a replayed state finds
// nothing). The PKCE verifier is a vault value bound to the attempt's id. Rows of a browser that
// never came back expire after ten minutes.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connector_auth_attempts')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('state_hash', 'text', (c) => c.notNull())
    .addColumn('account_connector_id', 'text', (c) => c.notNull())
    .addColumn('account_user_id', 'text', (c) => c.notNull())
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text')
    .addColumn('target_origin', 'text', (c) => c.notNull())
    .addColumn('callback_message', 'text')
    .addColumn('finish', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('connector_auth_attempts_pk', ['org_id', 'id'])
    // A connector deleted mid-flow takes its attempts with it.
    .addForeignKeyConstraint('connector_auth_attempts_connector_fk', ['org_id', 'account_connector_id'], 'account_connectors', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('connector_auth_attempts_state_uq', ['org_id', 'state_hash'])
    .execute();
  await db.schema.createIndex('connector_auth_attempts_expiry_idx').on('connector_auth_attempts').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('connector_auth_attempts').execute();
}
