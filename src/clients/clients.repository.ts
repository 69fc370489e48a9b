import type { Selectable, Updateable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { authNetworksText, parseAuthNetworks, type ClientAuthNetworks } from './auth-networks.ts';
import type { Client, ClientStatus } from './clients.ts';
import type { ClientsTable } from './clients.table.ts';

type Row = Selectable<ClientsTable>;

function toClient(row: Row): Client {
  return {
    clientId: row.id,
    orgId: row.org_id,
    name: row.name,
    clientType: row.client_type,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as Client['grantTypes'],
    scope: row.scope,
    consentRequired: row.consent_required === 1,
    codeTtlSeconds: row.code_ttl_seconds,
    status: row.status,
    idTokenSignedResponseAlg: row.id_token_signed_response_alg,
    accessTokenFormat: row.access_token_format,
    registrationSource: row.registration_source,
    requesterName: row.requester_name,
    requesterEmail: row.requester_email,
    requestReason: row.request_reason,
    authNetworks: parseAuthNetworks(row.auth_networks),
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

/** The client's usual networks as stored now (to write them again after a concurrent change), or undefined when the client is gone. */
export async function findClientAuthNetworks(db: Executor, orgId: string, clientId: string): Promise<ClientAuthNetworks | undefined> {
  const row = await db.selectFrom('clients').select('auth_networks').where('id', '=', clientId).where('org_id', '=', orgId).executeTakeFirst();
  return row && parseAuthNetworks(row.auth_networks);
}

/**
 * Writes the client's usual networks only if they are still as read (`expected.stored`): two
 * processes recording networks at once never drop each other's; false when they changed. The
 * settings' version (updated_at) is left alone: this changes none of them.
 */
export async function replaceClientAuthNetworks(db: Executor, orgId: string, clientId: string, expected: ClientAuthNetworks, next: ReadonlyMap<string, number>): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ auth_networks: authNetworksText(next) })
    .where('id', '=', clientId)
    .where('org_id', '=', orgId)
    .where('auth_networks', '=', expected.stored)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Every active client of an org (for the rare questions asked of all of them, such as logout targets). */
export async function listActiveClients(db: Executor, orgId: string): Promise<Client[]> {
  const rows = await db.selectFrom('clients').selectAll().where('org_id', '=', orgId).where('status', '=', 'active').execute();
  return rows.map(toClient);
}

/** Oldest first, by (created_at, id) after `after`: one range scan of clients_org_idx per page. */
export async function listClientsPage(
  db: Executor,
  orgId: string,
  page: { readonly limit: number; readonly after?: readonly [number, string]; readonly status?: ClientStatus },
): Promise<Client[]> {
  let select = db.selectFrom('clients').selectAll().where('org_id', '=', orgId);
  if (page.after !== undefined) {
    const [time, id] = page.after;
    select = select.where((eb) => eb.or([eb('created_at', '>', time), eb.and([eb('created_at', '=', time), eb('id', '>', id)])]));
  }
  if (page.status !== undefined) select = select.where('status', '=', page.status);
  const rows = await select.orderBy('created_at', 'asc').orderBy('id', 'asc').limit(page.limit).execute();
  return rows.map(toClient);
}

/**
 * Changes columns of a client only if it is still at `expectedUpdatedAt` (no lost update between
 * two writers); false when it changed or does not exist.
 */
export async function updateClientRow(
  db: Executor,
  orgId: string,
  clientId: string,
  change: Omit<Updateable<ClientsTable>, 'id' | 'org_id' | 'created_at' | 'updated_at'>,
  expectedUpdatedAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ ...change, updated_at: now })
    .where('id', '=', clientId)
    .where('org_id', '=', orgId)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Moves a client from one of `from` to `to` in one conditional UPDATE, so two admins acting at
 * once cannot both win (say, approve and reject the same request). False when it was in no `from` status.
 */
export async function transitionClientStatus(db: Executor, orgId: string, clientId: string, from: readonly ClientStatus[], to: ClientStatus, now: number): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ status: to, updated_at: now })
    .where('id', '=', clientId)
    .where('org_id', '=', orgId)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletes a client. The foreign keys ON DELETE CASCADE remove, in the same statement, everything
 * issued to it: authorization codes, token families, access and refresh tokens, consent grants.
 */
export async function deleteClientRow(db: Executor, orgId: string, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom('clients').where('id', '=', clientId).where('org_id', '=', orgId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
