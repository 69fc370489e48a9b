import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { AttemptOutcome, DeliveryAttempt, DeliveryState, WebhookDelivery } from './webhook.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable } from './webhooks.table.ts';

// Deliveries as the worker claims and settles them. A claim is one conditional UPDATE: the
// delivery must still be due (`next_attempt_at <= now`), and the claim moves `next_attempt_at` to
// the lease's expiry, so a delivery whose owner crashed falls due again by itself then. Settling
// it is conditional on the lease's owner (a random token per claim): an owner whose lease expired
// and was taken over writes nothing.

export interface DeliveryKey {
  readonly orgId: string;
  readonly id: string;
}

/** Up to `limit` deliveries due at `now`, in every organization, oldest due first. */
export async function findDueDeliveries(db: Executor, now: number, limit: number): Promise<DeliveryKey[]> {
  const rows = await db.selectFrom('webhook_deliveries').select(['org_id', 'id']).where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit).execute();
  return rows.map((row) => ({ orgId: row.org_id, id: row.id }));
}

/** Takes the lease of a due delivery for `owner` until `leaseUntil`; false when another took it first or it is not due. */
export async function claimDelivery(db: Executor, key: DeliveryKey, claim: { readonly now: number; readonly owner: string; readonly leaseUntil: number }): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ lease_owner: claim.owner, lease_expires_at: claim.leaseUntil, next_attempt_at: claim.leaseUntil })
    .where('org_id', '=', key.orgId)
    .where('id', '=', key.id)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', claim.now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** What one attempt needs: the message as stored (the same bytes every time) and where it goes. */
export interface ClaimedDelivery {
  readonly orgId: string;
  readonly id: string;
  readonly endpointId: string;
  readonly messageId: string;
  readonly payload: string;
  readonly attempts: number;
}

export async function loadClaimedDelivery(db: Executor, key: DeliveryKey, owner: string): Promise<ClaimedDelivery | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', (join) => join.onRef('m.org_id', '=', 'd.org_id').onRef('m.id', '=', 'd.message_id'))
    .select(['d.org_id', 'd.id', 'd.endpoint_id', 'd.message_id', 'm.payload', 'd.attempts'])
    .where('d.org_id', '=', key.orgId)
    .where('d.id', '=', key.id)
    .where('d.lease_owner', '=', owner)
    .executeTakeFirst();
  return row === undefined ? undefined : { orgId: row.org_id, id: row.id, endpointId: row.endpoint_id, messageId: row.message_id, payload: row.payload, attempts: row.attempts };
}

export interface SettledAttempt {
  readonly attempt: DeliveryAttempt;
  /** pending: tried again at nextAttemptAt. */
  readonly state: DeliveryState;
  readonly nextAttemptAt: number | null;
}

/**
 * Records an attempt and the delivery's next state, if `owner` still holds the lease; false (and
 * nothing written) otherwise. Call inside a transaction: the log and the state agree.
 */
export async function settleAttempt(db: Executor, key: DeliveryKey, owner: string, settled: SettledAttempt): Promise<boolean> {
  const { attempt } = settled;
  const result = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      state: settled.state,
      next_attempt_at: settled.nextAttemptAt,
      lease_owner: null,
      lease_expires_at: null,
      last_status_code: attempt.statusCode,
      last_error: attempt.error,
      finished_at: settled.state === 'pending' ? null : attempt.attemptedAt,
    }))
    .where('org_id', '=', key.orgId)
    .where('id', '=', key.id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await db
    .insertInto('webhook_attempts')
    .values({
      org_id: key.orgId,
      id: attempt.id,
      delivery_id: key.id,
      attempted_at: attempt.attemptedAt,
      outcome: attempt.outcome,
      status_code: attempt.statusCode,
      duration_ms: attempt.durationMs,
      error: attempt.error,
    })
    .execute();
  return true;
}

/** Ends a claimed delivery without an attempt (its endpoint was disabled or deleted meanwhile). */
export async function abandonDelivery(db: Executor, key: DeliveryKey, owner: string, now: number, reason: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ state: 'failed', next_attempt_at: null, lease_owner: null, lease_expires_at: null, last_error: reason, finished_at: now })
    .where('org_id', '=', key.orgId)
    .where('id', '=', key.id)
    .where('lease_owner', '=', owner)
    .execute();
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): DeliveryAttempt {
  return { id: row.id, attemptedAt: row.attempted_at, outcome: row.outcome as AttemptOutcome, statusCode: row.status_code, durationMs: row.duration_ms, error: row.error };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable> & { readonly event_type: string }, attempts: readonly DeliveryAttempt[]): WebhookDelivery {
  return {
    orgId: row.org_id,
    id: row.id,
    endpointId: row.endpoint_id,
    messageId: row.message_id,
    eventType: row.event_type,
    state: row.state,
    attempts: row.attempts,
    // A leased delivery's next_attempt_at is its lease's expiry: not news for a reader.
    nextAttemptAt: row.state === 'pending' ? row.next_attempt_at : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    attemptLog: attempts,
  };
}

/** An endpoint's deliveries, newest first, each with its attempts (oldest first). */
export async function listDeliveriesPage(
  db: Executor,
  orgId: string,
  endpointId: string,
  page: { readonly limit: number; readonly before?: readonly [number, string] },
): Promise<WebhookDelivery[]> {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', (join) => join.onRef('m.org_id', '=', 'd.org_id').onRef('m.id', '=', 'd.message_id'))
    .selectAll('d')
    .select('m.event_type')
    .where('d.org_id', '=', orgId)
    .where('d.endpoint_id', '=', endpointId);
  if (page.before !== undefined) {
    const [createdAt, id] = page.before;
    query = query.where((eb) => eb.or([eb('d.created_at', '<', createdAt), eb.and([eb('d.created_at', '=', createdAt), eb('d.id', '<', id)])]));
  }
  const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(page.limit).execute();
  if (rows.length === 0) return [];
  const attemptRows = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('delivery_id', 'in', rows.map((row) => row.id))
    .orderBy('attempted_at')
    .orderBy('id')
    .execute();
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  for (const row of attemptRows) byDelivery.set(row.delivery_id, [...(byDelivery.get(row.delivery_id) ?? []), toAttempt(row)]);
  return rows.map((row) => toDelivery(row, byDelivery.get(row.id) ?? []));
}

export async function findDelivery(db: Executor, key: DeliveryKey): Promise<WebhookDelivery | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', (join) => join.onRef('m.org_id', '=', 'd.org_id').onRef('m.id', '=', 'd.message_id'))
    .selectAll('d')
    .select('m.event_type')
    .where('d.org_id', '=', key.orgId)
    .where('d.id', '=', key.id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const attempts = await db.selectFrom('webhook_attempts').selectAll().where('org_id', '=', key.orgId).where('delivery_id', '=', key.id).orderBy('attempted_at').orderBy('id').execute();
  return toDelivery(row, attempts.map(toAttempt));
}

/**
 * Deletes up to `limit` deliveries finished before `before` (their attempts go with them), then
 * the messages of those that no other delivery names any more; the number of deliveries deleted.
 */
export async function deleteFinishedDeliveries(db: Executor, before: number, limit: number): Promise<number> {
  const rows = await db.selectFrom('webhook_deliveries').select(['org_id', 'id', 'message_id']).where('finished_at', '<', before).limit(limit).execute();
  let deleted = 0;
  for (const orgId of new Set(rows.map((row) => row.org_id))) {
    const ofOrg = rows.filter((row) => row.org_id === orgId);
    const result = await db
      .deleteFrom('webhook_deliveries')
      .where('org_id', '=', orgId)
      .where('id', 'in', ofOrg.map((row) => row.id))
      .where('finished_at', '<', before)
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    await db
      .deleteFrom('webhook_messages')
      .where('org_id', '=', orgId)
      .where('id', 'in', [...new Set(ofOrg.map((row) => row.message_id))])
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('webhook_deliveries').select('webhook_deliveries.id').whereRef('webhook_deliveries.org_id', '=', 'webhook_messages.org_id').whereRef('webhook_deliveries.message_id', '=', 'webhook_messages.id'))),
      )
      .execute();
  }
  return deleted;
}
