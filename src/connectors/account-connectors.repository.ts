import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { columnsOf, PrecompiledQuery } from '../db/precompiled.ts';
import { accountConnectorCredentialsAad, accountConnectorSecretsAad, type AccountConnector } from './connector.ts';
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

export async function listAccountConnectorsPage(
  db: Executor,
  orgId: string,
  accountId: string,
  page: { readonly limit: number; readonly after?: readonly [number, string] },
): Promise<AccountConnector[]> {
  let query = db.selectFrom('account_connectors').selectAll().where('org_id', '=', orgId).where('account_id', '=', accountId);
  if (page.after !== undefined) {
    const [createdAt, id] = page.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
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
