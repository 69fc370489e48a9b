import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { Client } from './clients.ts';
import type { ClientsTable } from './clients.table.ts';

type Row = Selectable<ClientsTable>;

function toClient(row: Row): Client {
  return {
    clientId: row.id,
    orgId: row.org_id,
    name: row.name,
    clientType: row.client_type,
    secretHash: row.secret_hash,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as Client['grantTypes'],
    scope: row.scope,
    consentRequired: row.consent_required === 1,
    codeTtlSeconds: row.code_ttl_seconds,
    status: row.status,
    idTokenSignedResponseAlg: row.id_token_signed_response_alg,
    accessTokenFormat: row.access_token_format,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertClient(db: Executor, row: ClientsTable): Promise<void> {
  await db.insertInto('clients').values(row).execute();
}

/** The client with this client_id, only if it belongs to `orgId`: a client of another org is not found. */
export async function findClient(db: Executor, orgId: string, clientId: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('id', '=', clientId).where('org_id', '=', orgId).executeTakeFirst();
  return row && toClient(row);
}

/** Every active client of an org (for the rare questions asked of all of them, such as logout targets). */
export async function listActiveClients(db: Executor, orgId: string): Promise<Client[]> {
  const rows = await db.selectFrom('clients').selectAll().where('org_id', '=', orgId).where('status', '=', 'active').execute();
  return rows.map(toClient);
}
