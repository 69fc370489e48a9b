import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { newId } from '../lib/ids.ts';
import * as repository from './audit.repository.ts';
import type { AuditEvent, AuditEventInput, AuditQuery } from './audit-event.ts';

/** Appends an event. Call inside the use case's transaction, so the log and the change agree. */
export async function recordAudit(db: Executor, clock: Clock, orgId: string, event: AuditEventInput): Promise<void> {
  await repository.insertAuditEvent(db, orgId, { ...event, id: newId('auditEvent'), occurredAt: clock() });
}

/** A page of the log, newest first, with the cursor of the next page (null on the last). */
export async function listAuditEvents(db: Executor, orgId: string, query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  const { limit, cursor, ...filter } = query;
  const before = cursor === undefined ? undefined : (decodeCursor(cursor, ['integer', 'string']) as [number, string]);
  const events = await repository.listAuditEvents(db, orgId, { ...filter, limit: limit + 1, ...(before === undefined ? {} : { before }) });
  const page = events.slice(0, limit);
  const last = page.at(-1);
  return { events: page, nextCursor: events.length > limit && last !== undefined ? encodeCursor([last.occurredAt, last.id]) : null };
}
