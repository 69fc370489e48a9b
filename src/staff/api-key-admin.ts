import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import { ConflictError, NotFoundError } from '../lib/errors.ts';
import { recordOperation, requirePermission, type OperationContext } from './actor.ts';
import { checkApiKeyLabel, issueApiKey, loadStaffUser } from './staff.ts';
import type { ApiKeyInfo } from './staff-user.ts';
import * as repository from './staff.repository.ts';

/*
 * The staff operations on API keys, for the management API, the CLI and the console alike: each
 * checks the actor's permission, owns its transaction and records its audit event in it.
 */

/** No key id holds a NUL, and PostgreSQL text cannot even be asked for one (an error, not "none"). */
function refuseImpossibleKeyId(keyId: string): void {
  if (keyId.includes('\u0000')) throw new NotFoundError('API key', keyId);
}

/** A new API key and the key in clear, shown once (only its hash is stored). */
export interface IssuedApiKey {
  readonly key: ApiKeyInfo;
  readonly apiKey: string;
}

/** A staff user's API keys, revoked ones too (prefix and dates; never the secret). */
export async function listApiKeys(ctx: OperationContext, staffUserId: string): Promise<ApiKeyInfo[]> {
  requirePermission(ctx.actor, 'staff:read');
  await loadStaffUser(ctx.db, ctx.org.id, staffUserId);
  return repository.listApiKeys(ctx.db, ctx.org.id, staffUserId);
}

/** "Enable API access": a new key for an active staff user, audited as `api_key.created`. */
export async function createApiKey(ctx: OperationContext, staffUserId: string, options: { readonly label?: string } = {}): Promise<IssuedApiKey> {
  requirePermission(ctx.actor, 'staff:write');
  const label = options.label === undefined ? null : checkApiKeyLabel(options.label);
  return inTransaction(ctx.db, async (trx) => {
    const { key, apiKey } = await issueKeyToActiveUser(trx, ctx, staffUserId, label);
    await recordOperation(trx, ctx, { action: 'api_key.created', target: { type: 'api_key', id: key.id }, details: { user_id: key.staffUserId, prefix: key.prefix } });
    return { key, apiKey };
  });
}

async function issueKeyToActiveUser(trx: Executor, ctx: OperationContext, staffUserId: string, label: string | null): Promise<IssuedApiKey> {
  const user = await loadStaffUser(trx, ctx.org.id, staffUserId);
  // The request is well formed; the user's state forbids it (RFC 9110 §15.5.10: 409).
  if (user.status !== 'active') throw new ConflictError('user_id', 'the staff user is disabled; enable it before giving it an API key');
  const issued = await issueApiKey(trx, ctx.clock(), ctx.org.id, staffUserId, label);
  return { key: (await repository.findApiKey(trx, ctx.org.id, issued.id))!, apiKey: issued.apiKey };
}

/**
 * Replaces a key: a new one for the same (active) user and label, audited as `api_key.rotated`;
 * the old one stops working at once, and the API sessions opened with it end.
 */
export async function rotateApiKey(ctx: OperationContext, keyId: string): Promise<IssuedApiKey & { readonly replaced: string }> {
  requirePermission(ctx.actor, 'staff:write');
  refuseImpossibleKeyId(keyId);
  return inTransaction(ctx.db, async (trx) => {
    const old = await repository.findApiKey(trx, ctx.org.id, keyId);
    if (old === undefined || old.revokedAt !== null) throw new NotFoundError('API key', keyId);
    await repository.revokeApiKeyRow(trx, ctx.org.id, keyId, ctx.clock());
    const { key, apiKey } = await issueKeyToActiveUser(trx, ctx, old.staffUserId, old.label);
    await recordOperation(trx, ctx, { action: 'api_key.rotated', target: { type: 'api_key', id: key.id }, details: { replaced: keyId } });
    return { key, apiKey, replaced: keyId };
  });
}

/**
 * Revokes a key and ends the API sessions opened with it, audited as `api_key.revoked` (revoking a
 * revoked key too). Returns the key as it now is (the console goes back to its user's page).
 */
export async function revokeApiKey(ctx: OperationContext, keyId: string): Promise<ApiKeyInfo> {
  requirePermission(ctx.actor, 'staff:write');
  refuseImpossibleKeyId(keyId);
  return inTransaction(ctx.db, async (trx) => {
    await repository.revokeApiKeyRow(trx, ctx.org.id, keyId, ctx.clock());
    const key = await repository.findApiKey(trx, ctx.org.id, keyId);
    if (key === undefined) throw new NotFoundError('API key', keyId);
    await recordOperation(trx, ctx, { action: 'api_key.revoked', target: { type: 'api_key', id: keyId } });
    return key;
  });
}
