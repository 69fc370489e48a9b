import type { Kysely } from 'kysely';

// The refresh lease of an account connector (GET /api/v2/account-connectors/{id}/credentials):
// of many requests, in any number of processes, that find one connector's token expiring, the
// one whose conditional UPDATE takes the lease (free or expired, version unchanged) refreshes at
// the provider; the others wait for the version to change. A holder that died leaves a lease
// that expires, so another request takes it. Nullable columns on the row itself: taking the
// lease is one indexed UPDATE of the row the read found, with no other table to keep in step.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('account_connectors').addColumn('refresh_lease_owner', 'text').execute();
  await db.schema.alterTable('account_connectors').addColumn('refresh_lease_expires_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('account_connectors').dropColumn('refresh_lease_expires_at').execute();
  await db.schema.alterTable('account_connectors').dropColumn('refresh_lease_owner').execute();
}
