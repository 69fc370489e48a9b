import type { Executor } from '../db/database.ts';

// The outbox: messages and their deliveries, written by publishEvent in the caller's transaction.

export interface NewMessage {
  readonly orgId: string;
  readonly id: string;
  readonly eventType: string;
  readonly payload: string;
  readonly createdAt: number;
}

/** The message and one pending delivery, due at once, per endpoint. */
export async function insertMessage(db: Executor, message: NewMessage, deliveries: readonly { readonly id: string; readonly endpointId: string }[]): Promise<void> {
  await db
    .insertInto('webhook_messages')
    .values({ org_id: message.orgId, id: message.id, event_type: message.eventType, payload: message.payload, created_at: message.createdAt })
    .execute();
  if (deliveries.length === 0) return;
  await db
    .insertInto('webhook_deliveries')
    .values(
      deliveries.map((delivery) => ({
        org_id: message.orgId,
        id: delivery.id,
        endpoint_id: delivery.endpointId,
        message_id: message.id,
        state: 'pending' as const,
        attempts: 0,
        next_attempt_at: message.createdAt,
        lease_owner: null,
        lease_expires_at: null,
        last_status_code: null,
        last_error: null,
        created_at: message.createdAt,
        finished_at: null,
      })),
    )
    .execute();
}
