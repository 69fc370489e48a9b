import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint, type WebhookEventType } from './webhook.ts';
import type { WebhookEndpointsTable } from './webhooks.table.ts';

function eventTypesFromJson(text: string | null): WebhookEventType[] | null {
  if (text === null) return null;
  const value: unknown = JSON.parse(text);
  const known = WEBHOOK_EVENT_TYPES as readonly unknown[];
  if (!Array.isArray(value) || !value.every((item) => known.includes(item))) throw new Error('webhook_endpoints.event_types is not a JSON array of event types');
  return value as WebhookEventType[];
}

function toEndpoint(row: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    orgId: row.org_id,
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: eventTypesFromJson(row.event_types),
    enabled: row.enabled === 1,
    sealedSecret: row.secret,
    sealedPreviousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(endpoint: WebhookEndpoint): Omit<Selectable<WebhookEndpointsTable>, 'org_id' | 'id' | 'created_at'> {
  return {
    url: endpoint.url,
    description: endpoint.description,
    event_types: endpoint.eventTypes === null ? null : JSON.stringify(endpoint.eventTypes),
    enabled: endpoint.enabled ? 1 : 0,
    secret: endpoint.sealedSecret,
    previous_secret: endpoint.sealedPreviousSecret,
    previous_secret_expires_at: endpoint.previousSecretExpiresAt,
    updated_at: endpoint.updatedAt,
  };
}

export async function insertEndpoint(db: Executor, endpoint: WebhookEndpoint): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({ org_id: endpoint.orgId, id: endpoint.id, created_at: endpoint.createdAt, ...toRow(endpoint) })
    .execute();
}

export async function countEndpoints(db: Executor, orgId: string): Promise<number> {
  const row = await db.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<number | string>().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findEndpoint(db: Executor, orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toEndpoint(row);
}

/** The org's enabled endpoints: few per org, so subscriptions are judged in code (subscribes). */
export async function listEnabledEndpoints(db: Executor, orgId: string): Promise<WebhookEndpoint[]> {
  const rows = await db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId).where('enabled', '=', 1).execute();
  return rows.map(toEndpoint);
}

export async function listEndpointsPage(db: Executor, orgId: string, page: { readonly limit: number; readonly after?: readonly [number, string] }): Promise<WebhookEndpoint[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId);
  if (page.after !== undefined) {
    const [createdAt, id] = page.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit).execute();
  return rows.map(toEndpoint);
}

/**
 * Writes the endpoint's changeable fields if it is still as `expectedUpdatedAt` says (a
 * concurrent change, a rotation for instance, makes this a no-op: false).
 */
export async function updateEndpoint(db: Executor, endpoint: WebhookEndpoint, expectedUpdatedAt: number): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set(toRow(endpoint))
    .where('org_id', '=', endpoint.orgId)
    .where('id', '=', endpoint.id)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteEndpoint(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
