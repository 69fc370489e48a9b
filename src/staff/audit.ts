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

/** The staff user behind an actor: the user itself, or the owner of the API key (used directly or through an API v1 session). */
export interface AuditActorUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
}

export interface AuditEvent {
  readonly id: string;
  readonly occurredAt: number;
  readonly action: string;
  readonly actor: { readonly type: ActorType; readonly id: string | null; readonly user: AuditActorUser | null };
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
  /** Only events before this time (ms). */
  readonly until?: number;
}

/**
 * Newest first, one indexed range scan per page (`since` and `until` bound the range of each
 * index's occurred_at). The staff user behind each actor comes in the same statement: an API
 * key's owner (the key ids of api_key actors, whether the key was used directly or through an API
 * v1 session) or the staff user itself, found by primary key, as they are now (keys and staff
 * users are never deleted, only revoked and disabled).
 */
export async function listAuditEvents(db: Executor, orgId: string, query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  let select = db
    .selectFrom('audit_events as e')
    .leftJoin('api_keys as k', (join) => join.onRef('k.id', '=', 'e.actor_id').onRef('k.org_id', '=', 'e.org_id').on('e.actor_type', '=', 'api_key'))
    .leftJoin('staff_users as u', (join) =>
      join.onRef('u.org_id', '=', 'e.org_id').on((eb) => eb('u.id', '=', eb.fn.coalesce('k.staff_user_id', eb.case().when('e.actor_type', '=', 'staff').then(eb.ref('e.actor_id')).end()))),
    )
    .selectAll('e')
    .select(['u.id as user_id', 'u.email as user_email', 'u.display_name as user_name'])
    .where('e.org_id', '=', orgId);
  if (query.cursor !== undefined) {
    const [time, id] = decodeCursor(query.cursor, ['integer', 'string']) as [number, string];
    select = select.where((eb) => eb.or([eb('e.occurred_at', '<', time), eb.and([eb('e.occurred_at', '=', time), eb('e.id', '<', id)])]));
  }
  if (query.action !== undefined) select = select.where('e.action', '=', query.action);
  if (query.actorId !== undefined) select = select.where('e.actor_id', '=', query.actorId);
  if (query.targetId !== undefined) select = select.where('e.target_id', '=', query.targetId);
  const { since, until } = query;
  // Both bounds as one BETWEEN (times are whole ms, so until - 1 is the last one included): with two
  // separate bounds SQLite, without statistics, walks the (org_id, occurred_at) index even when an
  // action, actor or target filter has an index of its own.
  if (since !== undefined && until !== undefined) select = select.where((eb) => eb.between('e.occurred_at', since, until - 1));
  else if (since !== undefined) select = select.where('e.occurred_at', '>=', since);
  else if (until !== undefined) select = select.where('e.occurred_at', '<', until);
  const rows = await select.orderBy('e.occurred_at', 'desc').orderBy('e.id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => ({
      id: row.id,
      occurredAt: row.occurred_at,
      action: row.action,
      actor: {
        type: row.actor_type,
        id: row.actor_id,
        user: row.user_id === null || row.user_email === null ? null : { id: row.user_id, email: row.user_email, name: row.user_name },
      },
      target: row.target_type === null || row.target_id === null ? null : { type: row.target_type, id: row.target_id },
      ip: row.ip,
      details: JSON.parse(row.details) as Record<string, unknown>,
    })),
    nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.occurred_at, last.id]) : null,
  };
}
