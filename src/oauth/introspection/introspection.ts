import type { Client } from '../../clients/clients.ts';
import { credentialKey, type CredentialKey } from '../credentials/credentials.ts';
import type { OrgContext } from '../context.ts';
import { findAccessToken, findRefreshToken } from '../credentials/credentials.repository.ts';
import type { StoredAccessToken, StoredRefreshToken } from '../credentials/stored-credentials.ts';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

type FoundToken = { readonly token: StoredAccessToken; readonly type: 'access_token' } | { readonly token: StoredRefreshToken; readonly type: 'refresh_token' };

/**
 * RFC 7662. A client learns about tokens issued to itself only: for any other token, as for an
 * unknown, expired or revoked one, the answer is `{"active": false}` (§2.2), so introspection
 * tells nobody anything about another client's tokens.
 */
export async function introspect(ctx: OrgContext, client: Client, token: string, hint: string | undefined): Promise<IntrospectionResponse> {
  const found = await findEither(ctx, credentialKey(token), hint);
  if (found === undefined || !isActive(found, client, ctx.clock())) return INACTIVE;
  const { token: stored, type } = found;
  return {
    active: true,
    scope: stored.scope,
    client_id: stored.clientId,
    token_type: type === 'access_token' ? 'Bearer' : 'refresh_token',
    exp: Math.floor(stored.expiresAt / 1000),
    iat: Math.floor(stored.createdAt / 1000),
    iss: ctx.issuer,
    ...(stored.accountId === null ? {} : { sub: stored.accountId, account_id: stored.accountId }),
  };
}

/** Issued to this client, neither revoked nor expired, and for a refresh token not yet rotated. */
function isActive(found: FoundToken, client: Client, now: number): boolean {
  if (found.token.clientId !== client.clientId || found.token.revokedAt !== null || found.token.expiresAt <= now) return false;
  return found.type === 'access_token' || found.token.rotatedAt === null;
}

async function findEither(ctx: OrgContext, key: CredentialKey, hint: string | undefined): Promise<FoundToken | undefined> {
  // RFC 7662 §2.1: the hint orders the search; an unknown hint is ignored.
  const refreshFirst = hint === 'refresh_token';
  for (const type of refreshFirst ? (['refresh_token', 'access_token'] as const) : (['access_token', 'refresh_token'] as const)) {
    if (type === 'access_token') {
      const token = await findAccessToken(ctx.db, ctx.org.id, key);
      if (token !== undefined) return { token, type };
    } else {
      const token = await findRefreshToken(ctx.db, ctx.org.id, key);
      if (token !== undefined) return { token, type };
    }
  }
  return undefined;
}
