import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { appConnectorSecretAad, type AppConnector } from './connector.ts';
import type { AppConnectorsTable } from './connectors.table.ts';
import { stringListFromJson, stringRecordFromJson } from './json-columns.ts';
import type { ResealedValue, SealedValue } from './vault/data-key.ts';

function toAppConnector(row: Selectable<AppConnectorsTable>): AppConnector {
  return {
    orgId: row.org_id,
    id: row.id,
    provider: row.provider,
    name: row.name,
    clientId: row.client_id,
    sealedClientSecret: row.client_secret,
    scopes: stringListFromJson('app_connectors.scopes', row.scopes),
    config: stringRecordFromJson('app_connectors.config', row.config),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertAppConnector(db: Executor, app: AppConnector): Promise<void> {
  await db
    .insertInto('app_connectors')
    .values({
      org_id: app.orgId,
      id: app.id,
      provider: app.provider,
      name: app.name,
      client_id: app.clientId,
      client_secret: app.sealedClientSecret,
      scopes: JSON.stringify(app.scopes),
      config: JSON.stringify(app.config),
      created_at: app.createdAt,
      updated_at: app.updatedAt,
    })
    .execute();
}

export async function findAppConnector(db: Executor, orgId: string, id: string): Promise<AppConnector | undefined> {
  const row = await db.selectFrom('app_connectors').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toAppConnector(row);
}

export async function listAppConnectorsPage(db: Executor, orgId: string, page: { readonly limit: number; readonly after?: readonly [number, string] }): Promise<AppConnector[]> {
  let query = db.selectFrom('app_connectors').selectAll().where('org_id', '=', orgId);
  if (page.after !== undefined) {
    const [createdAt, id] = page.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
  return rows.map(toAppConnector);
}

/** Writes the app connector's changeable fields as given (provider and id never change). */
/** Writes the change if the row still has `readAt` as its updated_at (the version it was read at); false otherwise. */
export async function updateAppConnector(db: Executor, app: AppConnector, readAt: number): Promise<boolean> {
  const result = await db
    .updateTable('app_connectors')
    .set({
      name: app.name,
      client_id: app.clientId,
      client_secret: app.sealedClientSecret,
      scopes: JSON.stringify(app.scopes),
      config: JSON.stringify(app.config),
      updated_at: app.updatedAt,
    })
    .where('org_id', '=', app.orgId)
    .where('id', '=', app.id)
    .where('updated_at', '=', readAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Whether some account connector uses the app connector (which then cannot be deleted). */
export async function isAppConnectorInUse(db: Executor, orgId: string, id: string): Promise<boolean> {
  const row = await db.selectFrom('account_connectors').select('id').where('org_id', '=', orgId).where('app_connector_id', '=', id).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function deleteAppConnector(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('app_connectors').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The organization's sealed client secrets after `afterId`, in id order (a vault re-seal pass's read). */
export async function listSealedClientSecrets(db: Executor, orgId: string, afterId: string | null, limit: number): Promise<SealedValue[]> {
  let query = db.selectFrom('app_connectors').select(['id', 'client_secret']).where('org_id', '=', orgId).where('client_secret', 'is not', null);
  if (afterId !== null) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, ciphertext: row.client_secret!, aad: appConnectorSecretAad(row.id) }));
}

/** Stores a re-sealed client secret only if the row still holds the one read; updated_at stays: nothing a person sees changed. */
export async function replaceSealedClientSecret(db: Executor, orgId: string, value: ResealedValue): Promise<boolean> {
  const result = await db
    .updateTable('app_connectors')
    .set({ client_secret: value.ciphertext })
    .where('org_id', '=', orgId)
    .where('id', '=', value.id)
    .where('client_secret', '=', value.previous)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
