import type { Kysely } from 'kysely';

// The seed's sign-in tokens (src/connectors/signin-tokens.ts): a partner's backend asks for one on
// behalf of a user of one of its accounts, and the user's browser presents it once, within five
// minutes, to start a connect flow. Only the SHA-256 of the token is kept (256 random bits: a fast
// hash is enough); it is found by that hash and used by one conditional update, so a token used
// twice at once is used once.
//
// No migration 0013 here: that number is another branch's, and names sort in application order.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connector_signin_tokens')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('connector_signin_tokens_pk', ['org_id', 'id'])
    // A token dies with its account, and with its user (which dies with the account).
    .addForeignKeyConstraint('connector_signin_tokens_account_fk', ['org_id', 'account_id'], 'connector_accounts', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('connector_signin_tokens_user_fk', ['org_id', 'user_id'], 'connector_account_users', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  // The lookup of a presented token; unique, since a hash of 256 random bits names one token.
  await db.schema.createIndex('connector_signin_tokens_hash_idx').on('connector_signin_tokens').column('token_hash').unique().execute();
  // What the purge walks.
  await db.schema.createIndex('connector_signin_tokens_expiry_idx').on('connector_signin_tokens').column('expires_at').execute();
  // The account's foreign key checked on an account's delete (PostgreSQL does not index it by itself).
  await db.schema.createIndex('connector_signin_tokens_account_idx').on('connector_signin_tokens').columns(['org_id', 'account_id']).execute();
  await db.schema.createIndex('connector_signin_tokens_user_idx').on('connector_signin_tokens').columns(['org_id', 'user_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('connector_signin_tokens').execute();
}
