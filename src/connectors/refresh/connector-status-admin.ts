import { requirePermission, type OperationContext } from '../../staff/actor.ts';
import * as repository from '../account-connectors.repository.ts';
import { ACCOUNT_CONNECTOR_STATUSES, type AccountConnector, type AccountConnectorStatus } from '../connector.ts';

// How an org's connections are doing, without the console (issue 12): counts by status, the
// refreshes coming next, and the connectors whose last refresh failed. GET /api/v2/connector-status
// and `gatehouse connectors status` call this one use case.

export interface ConnectorStatusReport {
  readonly counts: Readonly<Record<AccountConnectorStatus, number>>;
  /** Authenticated and scheduled, the soonest first. */
  readonly nextRefreshes: readonly AccountConnector[];
  /** needs_reauth, or failing and retried (refresh_attempts > 0), the latest change first. */
  readonly failing: readonly AccountConnector[];
}

/** 20 of each list by default, at most 100. */
export async function readConnectorStatus(ctx: OperationContext, options: { readonly limit?: number } = {}): Promise<ConnectorStatusReport> {
  requirePermission(ctx.actor, 'connectors:read');
  const limit = Math.min(100, Math.max(1, options.limit ?? 20));
  const [counted, nextRefreshes, failing] = await Promise.all([
    repository.countAccountConnectorsByStatus(ctx.db, ctx.org.id),
    repository.listNextRefreshes(ctx.db, ctx.org.id, limit),
    repository.listFailingAccountConnectors(ctx.db, ctx.org.id, limit),
  ]);
  const counts = Object.fromEntries(ACCOUNT_CONNECTOR_STATUSES.map((status) => [status, counted[status] ?? 0])) as Record<AccountConnectorStatus, number>;
  return { counts, nextRefreshes, failing };
}

/**
 * How many of the org's account connectors are in each status, every status present (the
 * overview's chart): one grouped statement. Counts only, never which account: `org:read`, which
 * every role has, as the overview's other counts; readConnectorStatus, which names connectors,
 * needs `connectors:read`.
 */
export async function connectorStatusCounts(ctx: OperationContext): Promise<Readonly<Record<AccountConnectorStatus, number>>> {
  requirePermission(ctx.actor, 'org:read');
  const counted = await repository.countAccountConnectorsByStatus(ctx.db, ctx.org.id);
  return Object.fromEntries(ACCOUNT_CONNECTOR_STATUSES.map((status) => [status, counted[status] ?? 0])) as Record<AccountConnectorStatus, number>;
}
