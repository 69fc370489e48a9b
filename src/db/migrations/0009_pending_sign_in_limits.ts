import type { Kysely } from 'kysely';

// Pending sign-ins (authorization_requests: a request waiting for the person to sign in or
// consent) are bounded per client network and per organization (oauth/sessions/pending-sign-ins.ts).
// Each new one drops what falls past its network's limit, and now and then the org's: both walk
// these indexes newest first, reading no more entries than the limit (plus the few past it). The
// org's is in expiry order (the same order: every request lives as long) so that it cannot serve
// the network's walk, which it would turn into a walk of the whole org.
//
// client_network is a keyed hash of the client's network, never its address. Requests pending
// when this runs get '' (one network of their own) and expire within the half hour.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authorization_requests').addColumn('client_network', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.createIndex('authorization_requests_network_idx').on('authorization_requests').columns(['org_id', 'client_network', 'created_at']).execute();
  await db.schema.createIndex('authorization_requests_org_expires_idx').on('authorization_requests').columns(['org_id', 'expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('authorization_requests_org_expires_idx').execute();
  await db.schema.dropIndex('authorization_requests_network_idx').execute();
  await db.schema.alterTable('authorization_requests').dropColumn('client_network').execute();
}
