import type { Client } from '../../clients/clients.ts';
import { credentialKey, type CredentialKey } from '../credentials/credentials.ts';
import type { OrgContext } from '../context.ts';
import { findAccessToken, findRefreshToken, type AccessTokenRow, type RefreshTokenRow } from '../credentials/credentials.repository.ts';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/**
 * RFC 7662. A client learns about tokens issued to itself only: for any other token, as for an
 * unknown, expired or revoked one, the answer is `{"active": false}` (§2.2), so introspection
 * tells nobody anything about another client's tokens.
 */
export async function introspect(ctx: OrgContext, client: Client, token: string, hint: string | undefined): Promise<IntrospectionResponse> {
  const found = await findEither(ctx, credentialKey(token), hint);
  if (found === undefined) return INACTIVE;
  const { row, type } = found;
  const now = ctx.clock();
  if (row.client_id !== client.clientId || row.revoked_at !== null || row.expires_at <= now) return INACTIVE;
  if (type === 'refresh_token' && (row as RefreshTokenRow).rotated_at !== null) return INACTIVE;
  return {
    active: true,
    scope: row.scope,
    client_id: row.client_id,
    token_type: type === 'access_token' ? 'Bearer' : 'refresh_token',
    exp: Math.floor(row.expires_at / 1000),
    iat: Math.floor(row.created_at / 1000),
    iss: ctx.issuer,
    ...(row.account_id === null ? {} : { sub: row.account_id, account_id: row.account_id }),
  };
}

async function findEither(
  ctx: OrgContext,
  key: CredentialKey,
  hint: string | undefined,
): Promise<{ row: AccessTokenRow; type: 'access_token' } | { row: RefreshTokenRow; type: 'refresh_token' } | undefined> {
  // RFC 7662 §2.1: the hint orders the search; an unknown hint is ignored.
  const refreshFirst = hint === 'refresh_token';
  for (const type of refreshFirst ? (['refresh_token', 'access_token'] as const) : (['access_token', 'refresh_token'] as const)) {
    if (type === 'access_token') {
      const row = await findAccessToken(ctx.db, ctx.org.id, key);
      if (row !== undefined) return { row, type };
    } else {
      const row = await findRefreshToken(ctx.db, ctx.org.id, key);
      if (row !== undefined) return { row, type };
    }
  }
  return undefined;
}
