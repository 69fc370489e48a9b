import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { newId } from '../lib/ids.ts';
import * as repository from './audit.repository.ts';
import type { AuditEventsTable } from './audit.table.ts';

export type ActorType = AuditEventsTable['actor_type'];

/** Who did something: a staff user, an API key, the CLI's operator, a constituent, nobody known. */
export interface AuditActor {
  readonly type: ActorType;
  readonly id: string | null;
}

/** Something that happened, for the append-only audit log. `details` never holds a secret. */
export interface AuditEventInput {
  readonly action: string;
  readonly actor: AuditActor;
  readonly target?: { readonly type: string; readonly id: string };
  readonly ip?: string | null;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditEvent {
  readonly id: string;
  readonly occurredAt: number;
  readonly action: string;
  readonly actor: AuditActor;
  readonly target: { readonly type: string; readonly id: string } | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Appends an event. Call inside the use case's transaction, so the log and the change agree. */
export async function recordAudit(db: Executor, clock: Clock, orgId: string, event: AuditEventInput): Promise<void> {
  await repository.insertAuditEvent(db, {
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
  });
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

/** A page of the log, newest first, with the cursor of the next page (null on the last). */
export async function listAuditEvents(db: Executor, orgId: string, query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  const { limit, cursor, ...filter } = query;
  const before = cursor === undefined ? undefined : (decodeCursor(cursor, ['integer', 'string']) as [number, string]);
  const rows = await repository.listAuditEventRows(db, orgId, { ...filter, limit: limit + 1, ...(before === undefined ? {} : { before }) });
  const page = rows.slice(0, limit);
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
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.occurred_at, last.id]) : null,
  };
}
