import type { AuditEventInput } from '../audit/audit-event.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { Organization } from '../orgs/organization.ts';
import { PERMISSIONS, type Permission } from './permissions.ts';

/**
 * Who performs a staff operation: a staff user (the console), an API key (the management API),
 * the operator at the server (the CLI), or the server itself (`system`: the background refresh
 * of connectors, with no permission: it calls no staff operation, only records what it did). The operation checks the actor's permission itself and
 * records the actor in its audit event, so every way in behaves alike.
 */
export interface Actor {
  readonly type: 'staff' | 'api_key' | 'cli' | 'system';
  /** The staff user's or the API key's id; null for the CLI's operator, who has no identity here. */
  readonly id: string | null;
  /** The staff user acting, or whose API key acts; null for the CLI's operator. */
  readonly staffUserId: string | null;
  /** The address the request came from, for the audit log; null for the CLI. */
  readonly ip: string | null;
  readonly permissions: ReadonlySet<Permission>;
}

/** The operator running the gatehouse command on the server: whoever can run it owns the store, so may do everything. */
export const CLI_OPERATOR: Actor = Object.freeze({ type: 'cli', id: null, staffUserId: null, ip: null, permissions: new Set(PERMISSIONS) });

/** Refuses the operation (ForbiddenError) unless the actor's role grants `permission`. */
export function requirePermission(actor: Actor, permission: Permission): void {
  if (!actor.permissions.has(permission)) throw new ForbiddenError(permission);
}

/**
 * What every staff operation is given: the store (it opens its own transaction, or joins the
 * caller's), the time, the organization it acts in, and who acts.
 */
export interface OperationContext {
  readonly db: Executor;
  readonly clock: Clock;
  readonly org: Organization;
  readonly actor: Actor;
}

/**
 * Records an operation's audit event with its actor and address filled in. Call inside the
 * operation's transaction (`db` is that transaction), so the log and the change agree.
 */
export async function recordOperation(db: Executor, ctx: OperationContext, event: Omit<AuditEventInput, 'actor' | 'ip'>): Promise<void> {
  await recordAudit(db, ctx.clock, ctx.org.id, { ...event, actor: { type: ctx.actor.type, id: ctx.actor.id }, ip: ctx.actor.ip });
}
