import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { newId } from '../lib/ids.ts';
import type { AuditEventsTable } from './staff.table.ts';

export type ActorType = AuditEventsTable['actor_type'];

/** Something that happened, for the append-only audit log. `details` never holds a secret. */
export interface AuditEventInput {
  readonly action: string;
  readonly actor: { readonly type: ActorType; readonly id: string | null };
  readonly target?: { readonly type: string; readonly id: string };
  readonly ip?: string | null;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditEvent {
  readonly id: string;
  readonly occurredAt: number;
  readonly action: string;
  readonly actor: { readonly type: ActorType; readonly id: string | null };
  readonly target: { readonly type: string; readonly id: string } | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Appends an event. Call inside the use case's transaction, so the log and the change agree. */
export async function recordAudit(db: Executor, clock: Clock, orgId: string, event: AuditEventInput): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId('auditEvent'),
      org_id: orgId,
      occurred_at: clock(),
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      action: event.action,
      target_type: event.target?.type ?? null,
      target_id: event.target?.id ?? null,
      ip: event.ip ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

export interface AuditQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly action?: string;
  readonly actorId?: string;
  readonly targetId?: string;
  /** Only events at or after this time (ms). */
  readonly since?: number;
}

/** Newest first, one indexed range scan per page. */
export async function listAuditEvents(db: Executor, orgId: string, query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  let select = db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId);
  if (query.cursor !== undefined) {
    const [time, id] = decodeCursor(query.cursor, ['integer', 'string']) as [number, string];
    select = select.where((eb) => eb.or([eb('occurred_at', '<', time), eb.and([eb('occurred_at', '=', time), eb('id', '<', id)])]));
  }
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.actorId !== undefined) select = select.where('actor_id', '=', query.actorId);
  if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
  if (query.since !== undefined) select = select.where('occurred_at', '>=', query.since);
  const rows = await select.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => ({
      id: row.id,
      occurredAt: row.occurred_at,
      action: row.action,
      actor: { type: row.actor_type, id: row.actor_id },
      target: row.target_type === null || row.target_id === null ? null : { type: row.target_type, id: row.target_id },
      ip: row.ip,
      details: JSON.parse(row.details) as Record<string, unknown>,
    })),
    nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.occurred_at, last.id]) : null,
  };
}
