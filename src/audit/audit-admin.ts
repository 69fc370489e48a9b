import { requirePermission, type OperationContext } from '../staff/actor.ts';
import { usersBehindActors } from '../staff/staff.ts';
import type { ActorUser } from '../staff/staff-user.ts';
import type { AuditEvent, AuditQuery } from './audit-event.ts';
import { listAuditEvents } from './audit.ts';
import { countActionsPerDay, DAY_MS } from './audit.repository.ts';

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

/** One UTC day of constituent sign-ins: those that succeeded and those refused (a wrong password, an unknown name). */
export interface SignInDay {
  /** `YYYY-MM-DD`, UTC. */
  readonly date: string;
  readonly signIns: number;
  readonly failedSignIns: number;
}

/** The most days one chart may ask for: a quarter. */
export const MAX_ACTIVITY_DAYS = 90;

/**
 * Constituent sign-ins and failed sign-ins per UTC day, the last `days` days up to today, oldest
 * first, every day present (zero when nothing happened). One grouped statement. Counts only,
 * never who: `org:read`, which every role has, rather than `audit:read`, which lets one read
 * each event (who, from where).
 */
export async function signInActivity(ctx: OperationContext, query: { readonly days: number }): Promise<SignInDay[]> {
  requirePermission(ctx.actor, 'org:read');
  const days = Math.min(Math.max(Math.trunc(query.days), 1), MAX_ACTIVITY_DAYS);
  const today = Math.floor(ctx.clock() / DAY_MS);
  const first = today - days + 1;
  const rows = await countActionsPerDay(ctx.db, ctx.org.id, { actions: ['constituent.sign_in', 'constituent.sign_in_failed'], since: first * DAY_MS, until: (today + 1) * DAY_MS });
  const counts = new Map(rows.map((row) => [`${row.day} ${row.action}`, row.count]));
  return Array.from({ length: days }, (_, i) => {
    const day = first + i;
    return {
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
      signIns: counts.get(`${day} constituent.sign_in`) ?? 0,
      failedSignIns: counts.get(`${day} constituent.sign_in_failed`) ?? 0,
    };
  });
}
