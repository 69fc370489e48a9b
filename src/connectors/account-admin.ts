import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import { collectInvalid, ConflictError, NotFoundError, throwIfInvalid } from '../lib/errors.ts';
import { isStorableId, newId } from '../lib/ids.ts';
import { checkDisplayName } from '../lib/text-rules.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import * as repository from './accounts.repository.ts';
import type { ConnectorAccount, ConnectorAccountUser } from './connector.ts';
import { accountIdErrors } from './connector-rules.ts';
import { pageByCreation, type Page, type PageQuery } from './paging.ts';

// The staff operations on connector accounts (the org's customers): permission, transaction and
// audit event each, for the management API and, later, the CLI and the console.

/** Creates an account under the id the org chose (its own customer id) or a generated `act_…`; a taken id is a ConflictError. */
export async function createAccount(ctx: OperationContext, input: { readonly id?: string; readonly name: string }): Promise<ConnectorAccount> {
  requirePermission(ctx.actor, 'connectors:write');
  const errors = input.id === undefined ? [] : accountIdErrors(input.id);
  const name = collectInvalid(errors, () => checkDisplayName(input.name));
  throwIfInvalid(errors);
  const now = ctx.clock();
  const account: ConnectorAccount = { orgId: ctx.org.id, id: input.id ?? newId('connectorAccount'), name: name!, createdAt: now, updatedAt: now };
  return inTransaction(ctx.db, async (trx) => {
    try {
      await repository.insertAccount(trx, account);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('id', `an account with id '${account.id}' already exists`);
      throw error;
    }
    await recordOperation(trx, ctx, { action: 'connector_account.created', target: { type: 'connector_account', id: account.id } });
    return account;
  });
}

export async function listAccounts(ctx: OperationContext, query: PageQuery): Promise<Page<ConnectorAccount>> {
  requirePermission(ctx.actor, 'connectors:read');
  return pageByCreation(query, (page) => repository.listAccountsPage(ctx.db, ctx.org.id, page));
}

export async function getAccount(ctx: OperationContext, accountId: string): Promise<ConnectorAccount> {
  requirePermission(ctx.actor, 'connectors:read');
  return loadAccount(ctx.db, ctx.org.id, accountId);
}

/** The account, or NotFoundError (also for another organization's). */
export async function loadAccount(db: Executor, orgId: string, accountId: string): Promise<ConnectorAccount> {
  const account = isStorableId(accountId) ? await repository.findAccount(db, orgId, accountId) : undefined;
  if (account === undefined) throw new NotFoundError('account', accountId);
  return account;
}

export async function renameAccount(ctx: OperationContext, accountId: string, change: { readonly name?: string }): Promise<ConnectorAccount> {
  requirePermission(ctx.actor, 'connectors:write');
  const name = change.name === undefined ? undefined : checkDisplayName(change.name);
  return inTransaction(ctx.db, async (trx) => {
    const account = await loadAccount(trx, ctx.org.id, accountId);
    if (name === undefined || name === account.name) return account;
    const updatedAt = Math.max(ctx.clock(), account.updatedAt + 1);
    await repository.renameAccount(trx, ctx.org.id, accountId, name, updatedAt);
    await recordOperation(trx, ctx, { action: 'connector_account.updated', target: { type: 'connector_account', id: accountId }, details: { fields: 'name' } });
    return { ...account, name, updatedAt };
  });
}

/** Deletes the account with its users and connectors (their credentials go with them). */
export async function deleteAccount(ctx: OperationContext, accountId: string): Promise<void> {
  requirePermission(ctx.actor, 'connectors:write');
  await inTransaction(ctx.db, async (trx) => {
    if (!(await repository.deleteAccount(trx, ctx.org.id, accountId))) throw new NotFoundError('account', accountId);
    await recordOperation(trx, ctx, { action: 'connector_account.deleted', target: { type: 'connector_account', id: accountId } });
  });
}

export async function listAccountUsers(ctx: OperationContext, accountId: string, query: PageQuery): Promise<Page<ConnectorAccountUser>> {
  requirePermission(ctx.actor, 'connectors:read');
  await loadAccount(ctx.db, ctx.org.id, accountId);
  return pageByCreation(query, (page) => repository.listAccountUsersPage(ctx.db, ctx.org.id, accountId, page));
}
