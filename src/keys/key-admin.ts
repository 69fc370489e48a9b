import type { OrgSettings } from '../orgs/settings.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { DEFAULT_SIGNING_KEY_CACHE_TTL_MS, type SigningAlg, type SigningKeyService } from './signing-keys.ts';

/**
 * How long a retired key stays published: the longest lifetime of a token it may have signed, plus
 * the signing-key cache period, since a running server keeps signing with the old key until its
 * cache expires.
 */
export function retiredKeyPublishSeconds(settings: Pick<OrgSettings, 'idTokenTtlSeconds' | 'accessTokenTtlSeconds'>): number {
  return Math.max(settings.idTokenTtlSeconds, settings.accessTokenTtlSeconds) + Math.ceil(DEFAULT_SIGNING_KEY_CACHE_TTL_MS / 1000);
}

export interface RotatedSigningKey {
  readonly kid: string;
  /** The key it replaced, still published for `publishForSeconds`; null when the org had none of this alg. */
  readonly retiredKid: string | null;
  readonly publishForSeconds: number;
}

/**
 * Replaces the organization's signing key of `alg` (a staff operation: `org:write`), audited as
 * `signing_key.rotated`. `signingKeys` must open the org's keys with the server's root key: a key
 * sealed with another could never be opened (UnsealError when the existing ones cannot be).
 */
export async function rotateSigningKey(ctx: OperationContext, signingKeys: SigningKeyService, alg: SigningAlg): Promise<RotatedSigningKey> {
  requirePermission(ctx.actor, 'org:write');
  const publishForSeconds = retiredKeyPublishSeconds(ctx.org.settings);
  const rotated = await signingKeys.rotate(ctx.org.id, { alg, publishForSeconds });
  // After the rotation's own transaction (serializable and retried, it cannot be nested): a
  // failure here leaves the key rotated and unrecorded, and the caller reports it.
  await recordOperation(ctx.db, ctx, { action: 'signing_key.rotated', target: { type: 'signing_key', id: rotated.kid }, details: { alg, retired_kid: rotated.retiredKid } });
  return { ...rotated, publishForSeconds };
}
