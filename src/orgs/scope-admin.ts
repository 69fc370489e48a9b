import { inTransaction } from '../db/transaction.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { deleteCustomScope, namedCustomScopes, setCustomScope, type NamedCustomScope } from './custom-scopes.ts';
import type { CustomScope } from './settings.ts';

/** The organization's custom scopes, by name. */
export function listCustomScopes(ctx: OperationContext): NamedCustomScope[] {
  requirePermission(ctx.actor, 'org:read');
  return namedCustomScopes(ctx.org.settings.customScopes);
}

/**
 * Defines or redefines a custom scope (API: PUT /scopes/{name}; CLI: `scope set`), audited as
 * `scope.created` or `scope.updated` with the attributes it releases.
 */
export async function defineCustomScope(ctx: OperationContext, name: string, scope: CustomScope): Promise<{ readonly scope: NamedCustomScope; readonly created: boolean }> {
  requirePermission(ctx.actor, 'org:write');
  return inTransaction(ctx.db, async (trx) => {
    const set = await setCustomScope(trx, ctx.clock, ctx.org.id, name, scope);
    await recordOperation(trx, ctx, { action: set.created ? 'scope.created' : 'scope.updated', target: { type: 'scope', id: name }, details: { attributes: set.scope.attributes.join(',') } });
    return set;
  });
}

/** Removes a custom scope (its attributes stop being released at once), audited as `scope.deleted`. */
export async function removeCustomScope(ctx: OperationContext, name: string): Promise<void> {
  requirePermission(ctx.actor, 'org:write');
  await inTransaction(ctx.db, async (trx) => {
    await deleteCustomScope(trx, ctx.clock, ctx.org.id, name);
    await recordOperation(trx, ctx, { action: 'scope.deleted', target: { type: 'scope', id: name } });
  });
}
