import type { Selectable } from 'kysely';
import type { Executor } from '../../db/database.ts';
import { columnsOf, PrecompiledQuery } from '../../db/precompiled.ts';
import type { AuthorizationRequestsTable, ConsentGrantsTable, SsoSessionsTable } from '../oauth.table.ts';
import type { ConsentGrant, NewInteraction, NewSsoSession, StoredInteraction, StoredSsoSession } from './stored-sessions.ts';

// Rows become domain values (stored-sessions.ts) here, one object literal each, and back.

function toStoredSsoSession(row: Selectable<SsoSessionsTable>): StoredSsoSession {
  return { idHash: row.id_hash, orgId: row.org_id, accountId: row.account_id, authTime: row.auth_time, createdAt: row.created_at, expiresAt: row.expires_at, endedAt: row.ended_at };
}

function toConsentGrant(row: Selectable<ConsentGrantsTable>): ConsentGrant {
  return { orgId: row.org_id, accountId: row.account_id, clientId: row.client_id, scope: row.scope, createdAt: row.created_at, updatedAt: row.updated_at };
}

export async function insertSsoSession(db: Executor, session: NewSsoSession): Promise<void> {
  await db
    .insertInto('sso_sessions')
    .values({
      id_hash: session.idHash,
      org_id: session.orgId,
      account_id: session.accountId,
      auth_time: session.authTime,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      ended_at: null,
    })
    .execute();
}

// Every authorization of a signed-in browser reads its session and the remembered consent:
// precompiled (db/precompiled.ts).
const findSsoSessionQuery = new PrecompiledQuery<{ readonly orgId: string; readonly idHash: string }, Selectable<SsoSessionsTable>>({ orgId: true, idHash: true }, (db, p) =>
  db
    .selectFrom('sso_sessions')
    .select(columnsOf<SsoSessionsTable>({ id_hash: true, org_id: true, account_id: true, auth_time: true, created_at: true, expires_at: true, ended_at: true }))
    .where('id_hash', '=', p.idHash)
    .where('org_id', '=', p.orgId),
);

const findConsentGrantQuery = new PrecompiledQuery<{ readonly orgId: string; readonly accountId: string; readonly clientId: string }, Selectable<ConsentGrantsTable>>(
  { orgId: true, accountId: true, clientId: true },
  (db, p) =>
    db
      .selectFrom('consent_grants')
      .select(columnsOf<ConsentGrantsTable>({ org_id: true, account_id: true, client_id: true, scope: true, created_at: true, updated_at: true }))
      .where('org_id', '=', p.orgId)
      .where('account_id', '=', p.accountId)
      .where('client_id', '=', p.clientId),
);

export async function findSsoSession(db: Executor, orgId: string, idHash: string): Promise<StoredSsoSession | undefined> {
  const row = await findSsoSessionQuery.first(db, { orgId, idHash });
  return row === undefined ? undefined : toStoredSsoSession(row);
}

export async function endSsoSession(db: Executor, orgId: string, idHash: string, now: number): Promise<void> {
  await db.updateTable('sso_sessions').set({ ended_at: now }).where('id_hash', '=', idHash).where('org_id', '=', orgId).where('ended_at', 'is', null).execute();
}

export async function findConsentGrant(db: Executor, orgId: string, accountId: string, clientId: string): Promise<ConsentGrant | undefined> {
  const row = await findConsentGrantQuery.first(db, { orgId, accountId, clientId });
  return row === undefined ? undefined : toConsentGrant(row);
}

/** Records the scopes allowed (the caller merges them with those allowed before). */
export async function upsertConsentGrant(db: Executor, grant: ConsentGrant): Promise<void> {
  await db
    .insertInto('consent_grants')
    .values({ org_id: grant.orgId, account_id: grant.accountId, client_id: grant.clientId, scope: grant.scope, created_at: grant.createdAt, updated_at: grant.updatedAt })
    .onConflict((oc) => oc.columns(['org_id', 'account_id', 'client_id']).doUpdateSet({ scope: grant.scope, updated_at: grant.updatedAt }))
    .execute();
}

export async function insertInteraction(db: Executor, interaction: NewInteraction): Promise<void> {
  await db
    .insertInto('authorization_requests')
    .values({
      id: interaction.id,
      org_id: interaction.orgId,
      client_id: interaction.clientId,
      params: JSON.stringify(interaction.request),
      browser_binding_hash: interaction.browserBindingHash,
      csrf_token: interaction.csrfToken,
      client_network: interaction.clientNetwork,
      account_id: interaction.accountId,
      auth_time: interaction.authTime,
      created_at: interaction.createdAt,
      expires_at: interaction.expiresAt,
    } satisfies AuthorizationRequestsTable)
    .execute();
}

export async function findInteraction(db: Executor, orgId: string, id: string): Promise<StoredInteraction | undefined> {
  const row = await db.selectFrom('authorization_requests').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    orgId: row.org_id,
    clientId: row.client_id,
    request: JSON.parse(row.params),
    browserBindingHash: row.browser_binding_hash,
    csrfToken: row.csrf_token,
    clientNetwork: row.client_network,
    accountId: row.account_id,
    authTime: row.auth_time,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export async function setInteractionAccount(db: Executor, orgId: string, id: string, accountId: string, authTime: number): Promise<void> {
  await db.updateTable('authorization_requests').set({ account_id: accountId, auth_time: authTime }).where('id', '=', id).where('org_id', '=', orgId).execute();
}

/**
 * True when the client network has more than `keepNewest` pending requests in the org: a read
 * of at most `keepNewest` + 1 entries of authorization_requests_network_idx, newest first (the
 * walk evictInteractionsOfNetwork's delete makes), so that a delete is sent only when it has work.
 */
export async function networkHasInteractionsPast(db: Executor, orgId: string, network: string, keepNewest: number): Promise<boolean> {
  const past = await db
    .selectFrom('authorization_requests')
    .select('id')
    .where('org_id', '=', orgId)
    .where('client_network', '=', network)
    .orderBy('created_at', 'desc')
    .limit(1)
    .offset(keepNewest)
    .executeTakeFirst();
  return past !== undefined;
}

/** True when the org has more than `keepNewest` pending requests: evictInteractionsOfOrg's walk, read only. */
export async function orgHasInteractionsPast(db: Executor, orgId: string, keepNewest: number): Promise<boolean> {
  const past = await db.selectFrom('authorization_requests').select('id').where('org_id', '=', orgId).orderBy('expires_at', 'desc').limit(1).offset(keepNewest).executeTakeFirst();
  return past !== undefined;
}

/**
 * Deletes the pending requests of one client network in the org past its `keepNewest` newest;
 * returns how many. One walk of authorization_requests_network_idx, newest first, that reads the
 * kept entries and at most `batch` past them.
 */
export async function evictInteractionsOfNetwork(db: Executor, orgId: string, network: string, keepNewest: number, batch: number): Promise<number> {
  const past = db
    .selectFrom('authorization_requests')
    .select('id')
    .where('org_id', '=', orgId)
    .where('client_network', '=', network)
    .orderBy('created_at', 'desc')
    .limit(batch)
    .offset(keepNewest);
  const result = await db.deleteFrom('authorization_requests').where('id', 'in', past).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes the org's pending requests past its `keepNewest` newest (they all live as long, so the
 * last to expire are the newest); one walk of authorization_requests_org_expires_idx. By expiry,
 * not creation: an org index in created_at order would also serve the network's eviction above,
 * and PostgreSQL could pick it, to walk every pending request of the org looking for one network's.
 */
export async function evictInteractionsOfOrg(db: Executor, orgId: string, keepNewest: number, batch: number): Promise<number> {
  const past = db.selectFrom('authorization_requests').select('id').where('org_id', '=', orgId).orderBy('expires_at', 'desc').limit(batch).offset(keepNewest);
  const result = await db.deleteFrom('authorization_requests').where('id', 'in', past).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes the interaction; true when this call deleted it (so each interaction completes once). */
export async function deleteInteraction(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('authorization_requests').where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The account's sessions neither ended nor expired, newest first (one indexed range on org and account). */
export async function listLiveSsoSessionsOfAccount(db: Executor, orgId: string, accountId: string, now: number): Promise<StoredSsoSession[]> {
  const rows = await db
    .selectFrom('sso_sessions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id_hash', 'asc')
    .execute();
  return rows.map(toStoredSsoSession);
}

/** Ends every live session of the account; returns how many were live. */
export async function endSsoSessionsOfAccount(db: Executor, orgId: string, accountId: string, now: number): Promise<number> {
  const result = await db
    .updateTable('sso_sessions')
    .set({ ended_at: now })
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Ends the account's live session stored as `idHash`; false when it was not live (or not the account's). */
export async function endSsoSessionOfAccount(db: Executor, orgId: string, accountId: string, idHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('sso_sessions')
    .set({ ended_at: now })
    .where('id_hash', '=', idHash)
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function listConsentGrantsOfAccount(db: Executor, orgId: string, accountId: string): Promise<ConsentGrant[]> {
  const rows = await db.selectFrom('consent_grants').selectAll().where('org_id', '=', orgId).where('account_id', '=', accountId).orderBy('created_at', 'asc').orderBy('client_id', 'asc').execute();
  return rows.map(toConsentGrant);
}

/** Forgets what the account allowed the client; true when there was a grant. */
export async function deleteConsentGrant(db: Executor, orgId: string, accountId: string, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom('consent_grants').where('org_id', '=', orgId).where('account_id', '=', accountId).where('client_id', '=', clientId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes up to `limit` SSO sessions (every org's) that expired before `before`; returns how many. */
export async function deleteExpiredSsoSessions(db: Executor, before: number, limit: number): Promise<number> {
  const expired = db.selectFrom('sso_sessions').select('id_hash').where('expires_at', '<', before).limit(limit);
  const result = await db.deleteFrom('sso_sessions').where('id_hash', 'in', expired).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes up to `limit` pending authorization requests (every org's) that expired before `before`. */
export async function deleteExpiredInteractions(db: Executor, before: number, limit: number): Promise<number> {
  const expired = db.selectFrom('authorization_requests').select('id').where('expires_at', '<', before).limit(limit);
  const result = await db.deleteFrom('authorization_requests').where('id', 'in', expired).executeTakeFirst();
  return Number(result.numDeletedRows);
}
