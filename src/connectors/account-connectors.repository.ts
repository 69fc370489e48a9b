import { sql, type Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { columnsOf, PrecompiledQuery } from '../db/precompiled.ts';
import { accountConnectorCredentialsAad, accountConnectorSecretsAad, type AccountConnector, type AccountConnectorStatus } from './connector.ts';
import type { AccountConnectorsTable } from './connectors.table.ts';
import { stringListFromJson, stringRecordFromJson } from './json-columns.ts';
import type { ResealedValue, SealedValue } from './vault/data-key.ts';

function toAccountConnector(row: Selectable<AccountConnectorsTable>): AccountConnector {
  return {
    orgId: row.org_id,
    id: row.id,
    accountId: row.account_id,
    appConnectorId: row.app_connector_id,
    name: row.name,
    status: row.status,
    properties: stringRecordFromJson('account_connectors.properties', row.properties),
    sealedSecretProperties: row.secret_properties,
    secretPropertyNames: stringListFromJson('account_connectors.secret_property_names', row.secret_property_names),
    config: stringRecordFromJson('account_connectors.config', row.config),
    sealedCredentials: row.credentials,
    selfAuthenticate: row.self_authenticate === 1,
    accessExpiresAt: row.access_expires_at,
    refreshExpiresAt: row.refresh_expires_at,
    nextRefreshAt: row.next_refresh_at,
    lastRefreshedAt: row.last_refreshed_at,
    lastRefreshError: row.last_refresh_error === null ? null : { code: row.last_refresh_error, description: row.last_refresh_error_description },
    refreshAttempts: row.refresh_attempts,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The columns a connector's state writes (everything but its keys and creation time). */
function stateColumns(connector: AccountConnector) {
  return {
    name: connector.name,
    status: connector.status,
    properties: JSON.stringify(connector.properties),
    secret_properties: connector.sealedSecretProperties,
    secret_property_names: JSON.stringify(connector.secretPropertyNames),
    config: JSON.stringify(connector.config),
    credentials: connector.sealedCredentials,
    self_authenticate: connector.selfAuthenticate ? 1 : 0,
    access_expires_at: connector.accessExpiresAt,
    refresh_expires_at: connector.refreshExpiresAt,
    next_refresh_at: connector.nextRefreshAt,
    last_refreshed_at: connector.lastRefreshedAt,
    last_refresh_error: connector.lastRefreshError?.code ?? null,
    last_refresh_error_description: connector.lastRefreshError?.description ?? null,
    refresh_attempts: connector.refreshAttempts,
    version: connector.version,
    updated_at: connector.updatedAt,
  };
}

export async function insertAccountConnector(db: Executor, connector: AccountConnector): Promise<void> {
  await db
    .insertInto('account_connectors')
    .values({
      org_id: connector.orgId,
      id: connector.id,
      account_id: connector.accountId,
      app_connector_id: connector.appConnectorId,
      created_at: connector.createdAt,
      ...stateColumns(connector),
    })
    .execute();
}

export async function findAccountConnector(db: Executor, orgId: string, id: string): Promise<AccountConnector | undefined> {
  const row = await db.selectFrom('account_connectors').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toAccountConnector(row);
}

/** A page of the org's connectors by creation, of one account or all, of one status or all. */
export async function listAccountConnectorsPage(
  db: Executor,
  orgId: string,
  filter: { readonly accountId?: string; readonly status?: AccountConnectorStatus },
  page: { readonly limit: number; readonly after?: readonly [number, string] },
): Promise<AccountConnector[]> {
  let query = db.selectFrom('account_connectors').selectAll().where('org_id', '=', orgId);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (page.after !== undefined) {
    const [createdAt, id] = page.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
  return rows.map(toAccountConnector);
}

/** How many of the org's connectors are in each status (the statuses with none are absent). */
export async function countAccountConnectorsByStatus(db: Executor, orgId: string): Promise<Partial<Record<AccountConnectorStatus, number>>> {
  const rows = await db.selectFrom('account_connectors').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).where('org_id', '=', orgId).groupBy('status').execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

/** The org's scheduled connectors, the soonest refresh first. */
export async function listNextRefreshes(db: Executor, orgId: string, limit: number): Promise<AccountConnector[]> {
  const rows = await db
    .selectFrom('account_connectors')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('status', '=', 'authenticated')
    .where('next_refresh_at', 'is not', null)
    .orderBy('next_refresh_at')
    .limit(limit)
    .execute();
  return rows.map(toAccountConnector);
}

/** The org's connectors whose last refresh failed (still retried, or needs_reauth), the latest change first. */
export async function listFailingAccountConnectors(db: Executor, orgId: string, limit: number): Promise<AccountConnector[]> {
  const rows = await db
    .selectFrom('account_connectors')
    .selectAll()
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('status', '=', 'needs_reauth'), eb('refresh_attempts', '>', 0)]))
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toAccountConnector);
}

/**
 * Writes the connector's new state only if the stored row is still at `expectedVersion` (the
 * version read before the change): false when another writer (a refresh, a reconnect) got there
 * first. The new state carries its own, higher version.
 */
export async function updateAccountConnector(db: Executor, connector: AccountConnector, expectedVersion: number): Promise<boolean> {
  const result = await db
    .updateTable('account_connectors')
    .set(stateColumns(connector))
    .where('org_id', '=', connector.orgId)
    .where('id', '=', connector.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteAccountConnector(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('account_connectors').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The row's refresh lease and version, read apart from its state: what a request waiting for another's refresh polls. */
export interface RefreshLeaseState {
  readonly version: number;
  readonly owner: string | null;
  readonly expiresAt: number | null;
}

export async function findRefreshLease(db: Executor, orgId: string, id: string): Promise<RefreshLeaseState | undefined> {
  const row = await db
    .selectFrom('account_connectors')
    .select(['version', 'refresh_lease_owner', 'refresh_lease_expires_at'])
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : { version: row.version, owner: row.refresh_lease_owner, expiresAt: row.refresh_lease_expires_at };
}

/**
 * Takes the refresh lease for `owner` until `expiresAt`, in one conditional UPDATE: only while
 * the row is at `expectedVersion` (nobody stored new tokens since it was read) and the lease is
 * free or expired at `now`. Of any number of racing requests, in any process, one gets true.
 */
export async function takeRefreshLease(
  db: Executor,
  key: { readonly orgId: string; readonly id: string; readonly expectedVersion: number },
  lease: { readonly owner: string; readonly expiresAt: number; readonly now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('account_connectors')
    .set({ refresh_lease_owner: lease.owner, refresh_lease_expires_at: lease.expiresAt })
    .where('org_id', '=', key.orgId)
    .where('id', '=', key.id)
    .where('version', '=', key.expectedVersion)
    .where((eb) => eb.or([eb('refresh_lease_owner', 'is', null), eb('refresh_lease_expires_at', '<=', lease.now)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Frees the lease if `owner` still holds it (a refresh that failed without a change to store). */
export async function releaseRefreshLease(db: Executor, orgId: string, id: string, owner: string): Promise<void> {
  await db
    .updateTable('account_connectors')
    .set({ refresh_lease_owner: null, refresh_lease_expires_at: null })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('refresh_lease_owner', '=', owner)
    .execute();
}

/**
 * The refresh's outcome (new tokens, or needs_reauth) and the lease's release in one write,
 * conditional on the version read before the lease was taken, like updateAccountConnector.
 */
export async function storeRefreshOutcome(db: Executor, connector: AccountConnector, expectedVersion: number): Promise<boolean> {
  const result = await db
    .updateTable('account_connectors')
    .set({ ...stateColumns(connector), refresh_lease_owner: null, refresh_lease_expires_at: null })
    .where('org_id', '=', connector.orgId)
    .where('id', '=', connector.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The app's credentials were changed: its connectors that the provider refused for them
 * (`invalid_client`) and that use them (no ClientSecret of their own) are authenticated again and
 * due at once, their grants untouched: the next refresh tells whether the new credentials work.
 * One statement; returns how many.
 */
export async function reviveRefusedForAppCredentials(db: Executor, orgId: string, appConnectorId: string, now: number): Promise<number> {
  const result = await db
    .updateTable('account_connectors')
    .set((eb) => ({ status: 'authenticated', next_refresh_at: now, version: eb('version', '+', 1), updated_at: now }))
    .where('org_id', '=', orgId)
    .where('app_connector_id', '=', appConnectorId)
    .where('status', '=', 'needs_reauth')
    .where('last_refresh_error', '=', 'invalid_client')
    .where('credentials', 'is not', null)
    // secret_property_names is a JSON array of names: one with "ClientSecret" refreshes with its own.
    .where('secret_property_names', 'not like', '%"ClientSecret"%')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Every column a connector is read with: named, so a statement prepared before a migration adds one keeps working. */
const ACCOUNT_CONNECTOR_COLUMNS = columnsOf<AccountConnectorsTable>({
  org_id: true,
  id: true,
  account_id: true,
  app_connector_id: true,
  name: true,
  status: true,
  properties: true,
  secret_properties: true,
  secret_property_names: true,
  config: true,
  credentials: true,
  self_authenticate: true,
  access_expires_at: true,
  refresh_expires_at: true,
  refresh_lease_owner: true,
  refresh_lease_expires_at: true,
  next_refresh_at: true,
  last_refreshed_at: true,
  last_refresh_error: true,
  last_refresh_error_description: true,
  refresh_attempts: true,
  version: true,
  created_at: true,
  updated_at: true,
}).map((column) => `account_connectors.${column}` as const);

// Precompiled (db/precompiled.ts): the credentials endpoint runs it on every read.
const findWithProviderQuery = new PrecompiledQuery<{ readonly orgId: string; readonly id: string }, Selectable<AccountConnectorsTable> & { readonly app_provider: string }>({ orgId: true, id: true }, (db, p) =>
  db
    .selectFrom('account_connectors')
    .innerJoin('app_connectors', (join) => join.onRef('app_connectors.org_id', '=', 'account_connectors.org_id').onRef('app_connectors.id', '=', 'account_connectors.app_connector_id'))
    .select(ACCOUNT_CONNECTOR_COLUMNS)
    .select('app_connectors.provider as app_provider')
    .where('account_connectors.org_id', '=', p.orgId)
    .where('account_connectors.id', '=', p.id),
);

/** The connector and its app connector's provider id in one indexed read (the credentials endpoint's hot path). */
export async function findAccountConnectorWithProvider(db: Executor, orgId: string, id: string): Promise<{ readonly connector: AccountConnector; readonly provider: string } | undefined> {
  const row = await findWithProviderQuery.first(db, { orgId, id });
  if (row === undefined) return undefined;
  const { app_provider: provider, ...connector } = row;
  return { connector: toAccountConnector(connector), provider };
}

/** The two vault columns of account connectors, with the associated data each was sealed with. */
export type AccountConnectorSealedColumn = 'credentials' | 'secret_properties';

const SEALED_COLUMN_AAD: Readonly<Record<AccountConnectorSealedColumn, (id: string) => string>> = {
  credentials: accountConnectorCredentialsAad,
  secret_properties: accountConnectorSecretsAad,
};

/** The organization's values of one vault column after `afterId`, in id order (a vault re-seal pass's read). */
export async function listSealedAccountConnectorValues(
  db: Executor,
  column: AccountConnectorSealedColumn,
  orgId: string,
  afterId: string | null,
  limit: number,
): Promise<SealedValue[]> {
  let query = db.selectFrom('account_connectors').select(['id', column]).where('org_id', '=', orgId).where(column, 'is not', null);
  if (afterId !== null) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, ciphertext: row[column]!, aad: SEALED_COLUMN_AAD[column](row.id) }));
}

/**
 * Stores a re-sealed value only if the row still holds the one read. Neither `version` nor
 * `updated_at` nor the refresh lease moves: the plaintext is the same, and a refresh holding the
 * lease stores its outcome conditional on the version it read; a bumped version would make it
 * drop freshly rotated tokens. Its write replaces the re-sealed value with its own, which wins.
 */
export async function replaceSealedAccountConnectorValue(db: Executor, column: AccountConnectorSealedColumn, orgId: string, value: ResealedValue): Promise<boolean> {
  const result = await db
    .updateTable('account_connectors')
    .set({ [column]: value.ciphertext })
    .where('org_id', '=', orgId)
    .where('id', '=', value.id)
    .where(column, '=', value.previous)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The background refresh's scan, across organizations: authenticated connectors due at `now`
 * whose lease is free or expired, the most overdue first, through the partial index on
 * next_refresh_at (migration 0017). A row another process holds is left out, so that process's
 * batch does not fill this one's.
 */
export async function listDueForRefresh(db: Executor, now: number, limit: number): Promise<AccountConnector[]> {
  const rows = await db
    .selectFrom('account_connectors')
    .selectAll()
    // A literal, not a parameter: the partial index's predicate is then in the statement itself,
    // whatever plan it gets (a generic plan on PostgreSQL knows no parameter's value).
    .where('status', '=', sql.lit('authenticated'))
    .where('next_refresh_at', '<=', now)
    .where((eb) => eb.or([eb('refresh_lease_owner', 'is', null), eb('refresh_lease_expires_at', '<=', now)]))
    .orderBy('next_refresh_at')
    .limit(limit)
    .execute();
  return rows.map(toAccountConnector);
}
