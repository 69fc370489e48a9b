import type { Selectable, Updateable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { MAX_AUTH_NETWORKS } from './auth-networks.ts';
import type { Client, ClientAuthNetworks, ClientStatus } from './client.ts';
import type { ClientsTable } from './clients.table.ts';

type Row = Selectable<ClientsTable>;

/** A client as first stored: it has authenticated from nowhere yet. */
export type NewClientRecord = Omit<Client, 'authNetworks'>;

/** What a versioned update may change of a client: its settings and its secrets. */
export type ClientRecordChange = Partial<
  Pick<
    Client,
    | 'name'
    | 'redirectUris'
    | 'postLogoutRedirectUris'
    | 'grantTypes'
    | 'scope'
    | 'consentRequired'
    | 'codeTtlSeconds'
    | 'idTokenSignedResponseAlg'
    | 'accessTokenFormat'
    | 'secretHash'
    | 'previousSecretHash'
    | 'previousSecretExpiresAt'
  >
>;

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

export async function insertClient(db: Executor, client: NewClientRecord): Promise<void> {
  await db
    .insertInto('clients')
    .values({
      id: client.clientId,
      org_id: client.orgId,
      name: client.name,
      client_type: client.clientType,
      secret_hash: client.secretHash,
      previous_secret_hash: client.previousSecretHash,
      previous_secret_expires_at: client.previousSecretExpiresAt,
      redirect_uris: JSON.stringify(client.redirectUris),
      post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
      grant_types: JSON.stringify(client.grantTypes),
      scope: client.scope,
      consent_required: client.consentRequired ? 1 : 0,
      code_ttl_seconds: client.codeTtlSeconds,
      status: client.status,
      id_token_signed_response_alg: client.idTokenSignedResponseAlg,
      access_token_format: client.accessTokenFormat,
      registration_source: client.registrationSource,
      requester_name: client.requesterName,
      requester_email: client.requesterEmail,
      request_reason: client.requestReason,
      auth_networks: authNetworksText(new Map()),
      created_at: client.createdAt,
      updated_at: client.updatedAt,
    })
    .execute();
}

/** The columns of a change: only those it names (undefined leaves a column as it is). */
function columnsOf(change: ClientRecordChange): Updateable<ClientsTable> {
  return {
    name: change.name,
    redirect_uris: change.redirectUris === undefined ? undefined : JSON.stringify(change.redirectUris),
    post_logout_redirect_uris: change.postLogoutRedirectUris === undefined ? undefined : JSON.stringify(change.postLogoutRedirectUris),
    grant_types: change.grantTypes === undefined ? undefined : JSON.stringify(change.grantTypes),
    scope: change.scope,
    consent_required: change.consentRequired === undefined ? undefined : change.consentRequired ? 1 : 0,
    code_ttl_seconds: change.codeTtlSeconds,
    id_token_signed_response_alg: change.idTokenSignedResponseAlg,
    access_token_format: change.accessTokenFormat,
    secret_hash: change.secretHash,
    previous_secret_hash: change.previousSecretHash,
    previous_secret_expires_at: change.previousSecretExpiresAt,
  };
}

/** The client with this client_id, only if it belongs to `orgId`: a client of another org is not found. */
export async function findClient(db: Executor, orgId: string, clientId: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('id', '=', clientId).where('org_id', '=', orgId).executeTakeFirst();
  return row && toClient(row);
}

/** The names of the org's clients among `clientIds`, in one statement (an id of another org, or unknown, is left out). */
export async function findClientNames(db: Executor, orgId: string, clientIds: readonly string[]): Promise<Map<string, string>> {
  if (clientIds.length === 0) return new Map();
  const rows = await db.selectFrom('clients').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', clientIds).execute();
  return new Map(rows.map((row) => [row.id, row.name]));
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
 * Changes a client only if it is still at `expectedUpdatedAt` (no lost update between
 * two writers); false when it changed or does not exist.
 */
export async function updateClientRow(
  db: Executor,
  orgId: string,
  clientId: string,
  change: ClientRecordChange,
  expectedUpdatedAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ ...columnsOf(change), updated_at: now })
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

/** The networks of a stored `auth_networks` value; anything malformed in it is no network. */
export function parseAuthNetworks(stored: string): ClientAuthNetworks {
  const lastSeen = new Map<string, number>();
  let entries: unknown;
  try {
    entries = JSON.parse(stored);
  } catch {
    entries = [];
  }
  if (Array.isArray(entries)) {
    for (const entry of entries.slice(0, MAX_AUTH_NETWORKS)) {
      const { network, last_seen_ms: time } = (entry ?? {}) as { network?: unknown; last_seen_ms?: unknown };
      if (typeof network === 'string' && typeof time === 'number' && Number.isSafeInteger(time)) lastSeen.set(network, time);
    }
  }
  return { lastSeen, stored };
}

/** The stored form of `lastSeen`: `[{"network": …, "last_seen_ms": …}, …]`. */
export function authNetworksText(lastSeen: ReadonlyMap<string, number>): string {
  return JSON.stringify([...lastSeen].map(([network, time]) => ({ network, last_seen_ms: time })));
}
