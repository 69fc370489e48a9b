import { requirePermission, type OperationContext } from '../staff/actor.ts';
import { usersBehindActors } from '../staff/staff.ts';
import type { ActorUser } from '../staff/staff-user.ts';
import type { AuditEvent, AuditQuery } from './audit-event.ts';
import { listAuditEvents } from './audit.ts';

/** An event as staff read it: with the staff user behind its actor, as that user is now. */
export interface AuditLogEntry extends AuditEvent {
  readonly actorUser: ActorUser | null;
}

/**
 * A page of the organization's audit log, newest first (`audit:read`). The staff users behind
 * the page's actors (an API key's owner, a staff user) come in at most two more statements,
 * whatever the page's size.
 */
export async function readAuditLog(ctx: OperationContext, query: AuditQuery): Promise<{ entries: AuditLogEntry[]; nextCursor: string | null }> {
  requirePermission(ctx.actor, 'audit:read');
  const page = await listAuditEvents(ctx.db, ctx.org.id, query);
  const users = await usersBehindActors(ctx.db, ctx.org.id, page.events.map((e) => e.actor));
  return { entries: page.events.map((e) => ({ ...e, actorUser: users.get(`${e.actor.type}:${e.actor.id}`) ?? null })), nextCursor: page.nextCursor };
}
