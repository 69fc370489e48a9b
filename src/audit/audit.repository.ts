import { sql, type Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { PrecompiledQuery } from '../db/precompiled.ts';
import type { AuditEvent, AuditEventInput } from './audit-event.ts';
import type { AuditEventsTable } from './audit.table.ts';

type AuditEventRow = Selectable<AuditEventsTable>;

// Precompiled (db/precompiled.ts): every audited operation writes one, the credentials endpoint on every read.
const insertQuery = new PrecompiledQuery<AuditEventRow, never>(
  { id: true, org_id: true, occurred_at: true, actor_type: true, actor_id: true, action: true, target_type: true, target_id: true, ip: true, details: true },
  (db, row) => db.insertInto('audit_events').values(row),
);

export async function insertAuditEvent(db: Executor, orgId: string, event: AuditEventInput & { readonly id: string; readonly occurredAt: number }): Promise<void> {
  await insertQuery.execute(db, {
    id: event.id,
    org_id: orgId,
    occurred_at: event.occurredAt,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    action: event.action,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    ip: event.ip ?? null,
    details: JSON.stringify(event.details ?? {}),
  });
}

function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id },
    target: row.target_type === null || row.target_id === null ? null : { type: row.target_type, id: row.target_id },
    ip: row.ip,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export interface AuditRowFilter {
  /** How many rows to read (the caller asks for one more than a page, to know whether another follows). */
  readonly limit: number;
  /** Rows strictly before this (occurred_at, id), newest first. */
  readonly before?: readonly [number, string];
  readonly action?: string;
  readonly actorId?: string;
  readonly targetId?: string;
  /** At or after this time (ms). */
  readonly since?: number;
  /** Before this time (ms). */
  readonly until?: number;
}

/** Newest first, one indexed range scan (`since` and `until` bound the range of each index's occurred_at). */
export async function listAuditEvents(db: Executor, orgId: string, filter: AuditRowFilter): Promise<AuditEvent[]> {
  let select = db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId);
  if (filter.before !== undefined) {
    const [time, id] = filter.before;
    select = select.where((eb) => eb.or([eb('occurred_at', '<', time), eb.and([eb('occurred_at', '=', time), eb('id', '<', id)])]));
  }
  if (filter.action !== undefined) select = select.where('action', '=', filter.action);
  if (filter.actorId !== undefined) select = select.where('actor_id', '=', filter.actorId);
  if (filter.targetId !== undefined) select = select.where('target_id', '=', filter.targetId);
  const { since, until } = filter;
  // Both bounds as one BETWEEN (times are whole ms, so until - 1 is the last one included): with two
  // separate bounds SQLite, without statistics, walks the (org_id, occurred_at) index even when an
  // action, actor or target filter has an index of its own.
  if (since !== undefined && until !== undefined) select = select.where((eb) => eb.between('occurred_at', since, until - 1));
  else if (since !== undefined) select = select.where('occurred_at', '>=', since);
  else if (until !== undefined) select = select.where('occurred_at', '<', until);
  const rows = await select.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toAuditEvent);
}

/** Milliseconds in a UTC day: events are counted by the day of their occurred_at. */
export const DAY_MS = 86_400_000;

/**
 * How many events of each of `actions` happened on each UTC day of [since, until), as rows of
 * (day number since the epoch, action, count): one grouped statement over the (org_id, action,
 * occurred_at) index, whatever the number of days or events. Integer division is the same on
 * both stores (occurred_at is a whole, positive number of ms).
 */
export async function countActionsPerDay(db: Executor, orgId: string, query: { readonly actions: readonly string[]; readonly since: number; readonly until: number }): Promise<Array<{ day: number; action: string; count: number }>> {
  if (query.actions.length === 0) return [];
  const day = sql<number | string>`occurred_at / ${sql.lit(DAY_MS)}`;
  const rows = await db
    .selectFrom('audit_events')
    .select([day.as('day'), 'action', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('org_id', '=', orgId)
    .where('action', 'in', query.actions)
    .where('occurred_at', '>=', query.since)
    .where('occurred_at', '<', query.until)
    .groupBy([day, 'action'])
    .execute();
  // PostgreSQL answers bigint and count(*) as strings.
  return rows.map((row) => ({ day: Number(row.day), action: row.action, count: Number(row.count) }));
}
