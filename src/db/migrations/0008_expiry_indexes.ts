import type { Kysely } from 'kysely';

// Expired codes, tokens, families, sessions and interactions are purged (oauth/purge.ts) by
// ranges of expires_at. Each index grows at its end as rows are added (a row's expiry is its
// creation time plus a lifetime), so it costs an insert little.

const TABLES = ['authorization_codes', 'access_tokens', 'refresh_tokens', 'token_families', 'sso_sessions', 'authorization_requests'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await db.schema.createIndex(`${table}_expires_idx`).on(table).column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await db.schema.dropIndex(`${table}_expires_idx`).execute();
}
