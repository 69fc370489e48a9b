import type { Kysely } from 'kysely';

// Tokens issued per grant per day, for the console's overview (issue 13). Access tokens are
// deleted once expired (oauth/purge.ts), so a day's count cannot be read back from them: each
// access token now carries the grant that issued it, and the purge adds the tokens it deletes to
// a per-day count in the same statement's transaction. The count of a day is that table's plus
// the rows not yet purged; no statement is added to the token endpoint (decision 0016).

export async function up(db: Kysely<any>): Promise<void> {
  // Null for tokens issued before this migration: they are not counted.
  await db.schema.alterTable('access_tokens').addColumn('grant_type', 'text').execute();
  await db.schema
    .createTable('token_issuance_days')
    .addColumn('org_id', 'text', (c) => c.notNull())
    /** Days since the epoch, UTC. */
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('grant_type', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_issuance_days_pk', ['org_id', 'day', 'grant_type'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('token_issuance_days').execute();
  await db.schema.alterTable('access_tokens').dropColumn('grant_type').execute();
}
