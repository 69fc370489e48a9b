import { inTransaction } from '../db/transaction.ts';
import type { Sealer } from '../keys/sealing.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { ConflictError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { isStorableId, newId, timeOrderedId } from '../lib/ids.ts';
import type { OutboundClient } from '../outbound/outbound-client.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import * as deliveries from './deliveries.repository.ts';
import { claimAndSend } from './delivery.ts';
import { endpointErrors } from './endpoint-rules.ts';
import * as endpoints from './endpoints.repository.ts';
import { insertMessage } from './outbox.repository.ts';
import { messagePayload, newMessageId } from './publish.ts';
import { newWebhookSecret } from './signing.ts';
import { TEST_EVENT_TYPE, webhookSecretAad, type WebhookDelivery, type WebhookEndpoint, type WebhookEventType } from './webhook.ts';

// The staff operations on an organization's webhook endpoints. A secret is shown once, when it is
// made (creation, rotation), sealed under the root key with the endpoint's id as associated data,
// and never in an audit event; nor is the URL, whose path some receivers make a secret of.

/** What the process gives the webhooks' operations besides the store. */
export interface WebhookServices {
  readonly sealer: Sealer;
  /** For the test-send, which sends at once. */
  readonly outbound: OutboundClient;
  /** OUTBOUND_ALLOW_PRIVATE_NETWORK: http: and non-public hosts accepted when saved. */
  readonly allowPrivateNetwork: boolean;
}

export interface WebhookOperationContext extends OperationContext {
  readonly webhooks: WebhookServices;
}

/**
 * Endpoints per organization: every event reads the org's endpoints and writes a delivery for each
 * subscribed one, inside the transaction of the change that caused it, so their number is bounded.
 */
export const MAX_ENDPOINTS_PER_ORG = 50;

/** How long a rotated-out secret still signs beside the new one: receivers update in the meantime. */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

export interface NewWebhookEndpoint {
  readonly url: string;
  readonly description?: string;
  /** null or absent: every event. */
  readonly eventTypes?: readonly string[] | null;
  readonly enabled?: boolean;
}

/** Absent fields stay. */
export interface WebhookEndpointChange {
  readonly url?: string;
  readonly description?: string;
  readonly eventTypes?: readonly string[] | null;
  readonly enabled?: boolean;
}

/** An endpoint with its secret in clear: only the answers of creation and rotation. */
export interface EndpointWithSecret {
  readonly endpoint: WebhookEndpoint;
  readonly secret: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

function eventsDetail(eventTypes: readonly string[] | null): string {
  return eventTypes === null ? '*' : eventTypes.join(',');
}

export async function addWebhookEndpoint(ctx: WebhookOperationContext, input: NewWebhookEndpoint): Promise<EndpointWithSecret> {
  requirePermission(ctx.actor, 'webhooks:write');
  throwIfInvalid(endpointErrors(input, { allowPrivateNetwork: ctx.webhooks.allowPrivateNetwork }));
  const id = newId('webhookEndpoint');
  const secret = newWebhookSecret();
  const now = ctx.clock();
  const endpoint: WebhookEndpoint = {
    orgId: ctx.org.id,
    id,
    url: input.url,
    description: input.description ?? '',
    eventTypes: input.eventTypes === undefined || input.eventTypes === null ? null : ([...new Set(input.eventTypes)] as WebhookEventType[]),
    enabled: input.enabled ?? true,
    sealedSecret: ctx.webhooks.sealer.seal(secret, webhookSecretAad(ctx.org.id, id)),
    sealedPreviousSecret: null,
    previousSecretExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await inTransaction(ctx.db, async (trx) => {
    if ((await endpoints.countEndpoints(trx, ctx.org.id)) >= MAX_ENDPOINTS_PER_ORG) {
      throw new ConflictError('url', `the organization has ${MAX_ENDPOINTS_PER_ORG} webhook endpoints, the most it may have; delete one first`);
    }
    await endpoints.insertEndpoint(trx, endpoint);
    await recordOperation(trx, ctx, { action: 'webhook_endpoint.created', target: { type: 'webhook_endpoint', id }, details: { events: eventsDetail(endpoint.eventTypes), enabled: endpoint.enabled } });
  });
  return { endpoint, secret };
}

export async function listWebhookEndpoints(ctx: OperationContext, query: { readonly limit: number; readonly cursor?: string }): Promise<Page<WebhookEndpoint>> {
  requirePermission(ctx.actor, 'webhooks:read');
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['integer', 'string']);
  const rows = await endpoints.listEndpointsPage(ctx.db, ctx.org.id, { limit: query.limit + 1, ...(after === undefined ? {} : { after: [Number(after[0]), String(after[1])] as const }) });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.createdAt, last.id]) : null };
}

export async function getWebhookEndpoint(ctx: OperationContext, id: string): Promise<WebhookEndpoint> {
  requirePermission(ctx.actor, 'webhooks:read');
  return loadEndpoint(ctx, id);
}

async function loadEndpoint(ctx: Pick<OperationContext, 'db' | 'org'>, id: string): Promise<WebhookEndpoint> {
  const endpoint = isStorableId(id) ? await endpoints.findEndpoint(ctx.db, ctx.org.id, id) : undefined;
  if (endpoint === undefined) throw new NotFoundError('webhook endpoint', id);
  return endpoint;
}

/** Writes `change(current)` if no other change committed meanwhile (read again once if one did). */
async function changeEndpoint(
  ctx: OperationContext,
  id: string,
  change: (current: WebhookEndpoint, now: number) => WebhookEndpoint,
  audit: (changed: WebhookEndpoint) => Parameters<typeof recordOperation>[2],
  expectedVersion?: number,
): Promise<WebhookEndpoint> {
  return retryOnceOnLostRace('the webhook endpoint', expectedVersion, () =>
    inTransaction(ctx.db, async (trx) => {
      const current = await loadEndpoint({ db: trx, org: ctx.org }, id);
      if (expectedVersion !== undefined && expectedVersion !== current.updatedAt) throw new StaleVersionError(`the webhook endpoint changed since version ${expectedVersion}; read it again`);
      const now = Math.max(ctx.clock(), current.updatedAt + 1);
      const changed = change(current, now);
      if (!(await endpoints.updateEndpoint(trx, { ...changed, updatedAt: now }, current.updatedAt))) throw new LostRaceError();
      await recordOperation(trx, ctx, audit(changed));
      return { ...changed, updatedAt: now };
    }),
  );
}

/** Changes an endpoint; with `expectedVersion` (its updatedAt, as the console's form carries it) a change that landed since is a StaleVersionError. */
export async function updateWebhookEndpoint(ctx: WebhookOperationContext, id: string, input: WebhookEndpointChange, options: { readonly expectedVersion?: number } = {}): Promise<WebhookEndpoint> {
  requirePermission(ctx.actor, 'webhooks:write');
  throwIfInvalid(endpointErrors(input, { allowPrivateNetwork: ctx.webhooks.allowPrivateNetwork }));
  const fields = [
    ...(input.url === undefined ? [] : ['url']),
    ...(input.description === undefined ? [] : ['description']),
    ...(input.eventTypes === undefined ? [] : ['event_types']),
    ...(input.enabled === undefined ? [] : ['enabled']),
  ];
  if (fields.length === 0) return getWebhookEndpoint(ctx, id);
  return changeEndpoint(
    ctx,
    id,
    (current) => ({
      ...current,
      url: input.url ?? current.url,
      description: input.description ?? current.description,
      eventTypes: input.eventTypes === undefined ? current.eventTypes : input.eventTypes === null ? null : ([...new Set(input.eventTypes)] as WebhookEventType[]),
      enabled: input.enabled ?? current.enabled,
    }),
    () => ({ action: 'webhook_endpoint.updated', target: { type: 'webhook_endpoint', id }, details: { fields: fields.join(',') } }),
    options.expectedVersion,
  );
}

/** Deletes the endpoint with its pending and past deliveries. */
export async function deleteWebhookEndpoint(ctx: OperationContext, id: string): Promise<void> {
  requirePermission(ctx.actor, 'webhooks:write');
  await inTransaction(ctx.db, async (trx) => {
    if (!(await endpoints.deleteEndpoint(trx, ctx.org.id, id))) throw new NotFoundError('webhook endpoint', id);
    await recordOperation(trx, ctx, { action: 'webhook_endpoint.deleted', target: { type: 'webhook_endpoint', id } });
  });
}

/**
 * A new secret, shown once. The one it replaces signs beside it for SECRET_GRACE_MS (Standard
 * Webhooks: `webhook-signature` holds several signatures, a receiver accepts any it can verify),
 * so receivers switch without losing a message. Rotating again within the grace drops the oldest.
 */
export async function rotateWebhookSecret(ctx: WebhookOperationContext, id: string): Promise<EndpointWithSecret> {
  requirePermission(ctx.actor, 'webhooks:write');
  const secret = newWebhookSecret();
  const sealed = ctx.webhooks.sealer.seal(secret, webhookSecretAad(ctx.org.id, id));
  const endpoint = await changeEndpoint(
    ctx,
    id,
    (current, now) => ({ ...current, sealedSecret: sealed, sealedPreviousSecret: current.sealedSecret, previousSecretExpiresAt: now + SECRET_GRACE_MS }),
    (changed) => ({ action: 'webhook_endpoint.secret_rotated', target: { type: 'webhook_endpoint', id }, details: { previous_secret_expires_at: changed.previousSecretExpiresAt } }),
  );
  return { endpoint, secret };
}

/**
 * Sends a `webhook.test` message to the endpoint now, subscribed or not, and answers its
 * delivery after the first attempt. It goes through the outbox like any message: a failed first
 * attempt is retried on the usual schedule.
 */
export async function sendTestMessage(ctx: WebhookOperationContext, id: string): Promise<WebhookDelivery> {
  requirePermission(ctx.actor, 'webhooks:write');
  const now = ctx.clock();
  const key = { orgId: ctx.org.id, id: timeOrderedId(now) };
  const messageId = newMessageId(now);
  await inTransaction(ctx.db, async (trx) => {
    const endpoint = await loadEndpoint({ db: trx, org: ctx.org }, id);
    if (!endpoint.enabled) throw new ConflictError('enabled', 'the endpoint is disabled; enable it to send it a test message');
    const data = { endpoint_id: id, message: 'A test message from Gatehouse' };
    await insertMessage(trx, { orgId: ctx.org.id, id: messageId, eventType: TEST_EVENT_TYPE, payload: messagePayload(TEST_EVENT_TYPE, now, data), createdAt: now }, [{ id: key.id, endpointId: id }]);
    await recordOperation(trx, ctx, { action: 'webhook_endpoint.test_sent', target: { type: 'webhook_endpoint', id }, details: { message_id: messageId } });
  });
  // The worker of any process may claim it first; either way the answer is its state now.
  await claimAndSend({ db: ctx.db, clock: ctx.clock, sealer: ctx.webhooks.sealer, outbound: ctx.webhooks.outbound }, key);
  const delivery = await deliveries.findDelivery(ctx.db, key);
  if (delivery === undefined) throw new NotFoundError('webhook endpoint', id);
  return delivery;
}

/** The endpoint's delivery log, newest first, each delivery with its attempts. */
export async function listWebhookDeliveries(ctx: OperationContext, id: string, query: { readonly limit: number; readonly cursor?: string }): Promise<Page<WebhookDelivery>> {
  requirePermission(ctx.actor, 'webhooks:read');
  await loadEndpoint(ctx, id);
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['integer', 'string']);
  const rows = await deliveries.listDeliveriesPage(ctx.db, ctx.org.id, id, { limit: query.limit + 1, ...(before === undefined ? {} : { before: [Number(before[0]), String(before[1])] as const }) });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.createdAt, last.id]) : null };
}
