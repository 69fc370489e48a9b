import type { Executor } from '../db/database.ts';
import { timeOrderedId } from '../lib/ids.ts';
import { listEnabledEndpoints } from './endpoints.repository.ts';
import { insertMessage } from './outbox.repository.ts';
import { subscribes, type WebhookEventType } from './webhook.ts';

export type { WebhookEventType } from './webhook.ts';

export interface WebhookEvent {
  readonly orgId: string;
  readonly type: WebhookEventType;
  /** What the event is about, ids and states: nothing secret (it leaves Gatehouse). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch. */
  readonly occurredAt: number;
}

/** The `webhook-id` of a message: the same on every attempt, so receivers deduplicate by it. */
export function newMessageId(now: number): string {
  return `msg_${timeOrderedId(now)}`;
}

/** The body every endpoint receives, as the Standard Webhooks specification shapes it. */
export function messagePayload(type: string, occurredAt: number, data: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ type, timestamp: new Date(occurredAt).toISOString(), data });
}

/**
 * Writes the event to the outbox for every enabled endpoint of the org subscribed to it, in the
 * caller's transaction: the event is sent if and only if the change that caused it commits (a
 * transactional outbox), and the delivery worker sends it at least once from there. Nothing is
 * written when no endpoint subscribes.
 */
export async function publishEvent(trx: Executor, event: WebhookEvent): Promise<void> {
  const endpoints = (await listEnabledEndpoints(trx, event.orgId)).filter((endpoint) => subscribes(endpoint, event.type));
  if (endpoints.length === 0) return;
  await insertMessage(
    trx,
    { orgId: event.orgId, id: newMessageId(event.occurredAt), eventType: event.type, payload: messagePayload(event.type, event.occurredAt, event.data), createdAt: event.occurredAt },
    endpoints.map((endpoint) => ({ id: timeOrderedId(event.occurredAt), endpointId: endpoint.id })),
  );
}
