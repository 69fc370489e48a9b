import type { Kysely } from 'kysely';

// Indexes for the management API, each matching one query's equality filters then its ORDER BY
// (so a page is one range scan, no sort, however large the org). The token tables
// (access_tokens, refresh_tokens, token_families) get none here: their inserts are the hot path.
// Constituents, clients, audit events and API sessions are written rarely enough to afford them.

const INDEXES: ReadonlyArray<{ readonly name: string; readonly table: string; readonly columns: readonly string[] }> = [
  // Disabling an account, revoking one client's grant: expireCodesOfAccount (org, account[, client]).
  { name: 'authorization_codes_account_idx', table: 'authorization_codes', columns: ['org_id', 'account_id', 'client_id'] },
  // Constituent search pages: searchConstituentRows orders by (created_at, account_id) …
  { name: 'constituents_org_created_idx', table: 'constituents', columns: ['org_id', 'created_at', 'account_id'] },
  // … and status=disabled must not walk every active account to fill a page.
  { name: 'constituents_org_status_idx', table: 'constituents', columns: ['org_id', 'status', 'created_at', 'account_id'] },
  // Client list pages order by (created_at, id): replaces clients_org_idx (org_id, created_at) below.
  { name: 'clients_org_created_idx', table: 'clients', columns: ['org_id', 'created_at', 'id'] },
  // The approval queue (status=pending) and listActiveClients.
  { name: 'clients_org_status_idx', table: 'clients', columns: ['org_id', 'status', 'created_at', 'id'] },
  // The audit log's filters, newest first (listAuditEvents): ?action=, ?actor_id=, ?target_id=.
  { name: 'audit_events_action_idx', table: 'audit_events', columns: ['org_id', 'action', 'occurred_at', 'id'] },
  { name: 'audit_events_actor_idx', table: 'audit_events', columns: ['org_id', 'actor_id', 'occurred_at', 'id'] },
  { name: 'audit_events_target_idx', table: 'audit_events', columns: ['org_id', 'target_id', 'occurred_at', 'id'] },
  // Disabling a staff user and revoking or rotating a key end its API v1 sessions (revokeEverythingOf, revokeApiKeyRow).
  { name: 'api_sessions_staff_user_idx', table: 'api_sessions', columns: ['org_id', 'staff_user_id'] },
  { name: 'api_sessions_api_key_idx', table: 'api_sessions', columns: ['org_id', 'api_key_id'] },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const index of INDEXES) {
    await db.schema.createIndex(index.name).on(index.table).columns([...index.columns]).execute();
  }
  // A prefix of clients_org_created_idx: kept, it would only cost writes.
  await db.schema.dropIndex('clients_org_idx').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('clients_org_idx').on('clients').columns(['org_id', 'created_at']).execute();
  for (const index of [...INDEXES].reverse()) {
    await db.schema.dropIndex(index.name).execute();
  }
}
