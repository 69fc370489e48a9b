import { inTransaction } from '../db/transaction.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { NotFoundError } from '../lib/errors.ts';
import { deleteCustomScope, namedCustomScopes, setCustomScope, type CustomScopeWriteOptions, type NamedCustomScope } from './custom-scopes.ts';
import type { CustomScope } from './settings.ts';

/** The organization's custom scopes, by name. */
export function listCustomScopes(ctx: OperationContext): NamedCustomScope[] {
  requirePermission(ctx.actor, 'org:read');
  return namedCustomScopes(ctx.org.settings.customScopes);
}

/** One custom scope of the organization, or NotFoundError (the console's page of one scope). */
export function getCustomScope(ctx: OperationContext, name: string): NamedCustomScope {
  requirePermission(ctx.actor, 'org:read');
  const scopes = ctx.org.settings.customScopes;
  if (!Object.hasOwn(scopes, name)) throw new NotFoundError('scope', name);
  const scope = scopes[name]!;
  return { name, description: scope.description, attributes: scope.attributes };
}

/**
 * Defines or redefines a custom scope (API: PUT /scopes/{name}; CLI: `scope set`; the console),
 * audited as `scope.created` or `scope.updated` with the attributes it releases. The console's
 * forms pass `expectedVersion` (the organization's, which holds the scopes) and, adding one,
 * `onlyIfNew`.
 */
export async function defineCustomScope(
  ctx: OperationContext,
  name: string,
  scope: CustomScope,
  options: CustomScopeWriteOptions = {},
): Promise<{ readonly scope: NamedCustomScope; readonly created: boolean }> {
  requirePermission(ctx.actor, 'org:write');
  return inTransaction(ctx.db, async (trx) => {
    const set = await setCustomScope(trx, ctx.clock, ctx.org.id, name, scope, options);
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
