import type { Kysely } from 'kysely';

// The networks each client authenticated from recently: its usual places, from which a lockout of
// failed client authentication does not refuse it (oauth/client-auth.ts). Kept on the client's row,
// so that every server process sees them and a restart keeps them, and read with the client, which
// the token endpoint loads anyway. JSON text: an array of at most 16 {network, last_seen_ms}, where
// network is a keyed hash of the client's network (lib/client-network.ts), never an address.
// Existing clients start with none, as after a restart before this.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('auth_networks', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('auth_networks').execute();
}
