import { createHash } from 'node:crypto';
import type { Client } from '../../clients/clients.ts';
import type { Executor } from '../../db/database.ts';
import { timeOrderedId } from '../../lib/ids.ts';
import type { OrgSigningKeys } from '../../keys/signing-keys.ts';
import type { OrgContext } from '../context.ts';
import type { OAuthError } from '../errors.ts';
import { jwtCredentialKey, mintOpaqueCredential, type MintedCredential } from './credentials.ts';
import { insertGrantCredentials } from './credentials.repository.ts';
import type { IssuingGrant, NewAccessToken, NewRefreshToken, NewTokenFamily } from './stored-credentials.ts';

/** The token endpoint's success body (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  /** The constituent's account ID (Neon CRM's token response carries only this). */
  account_id?: string;
}

export interface UserGrant {
  readonly accountId: string;
  /** auth_time of the authentication behind the grant, ms. */
  readonly authTime: number;
}

export interface IdTokenRequest {
  readonly nonce: string | null;
  readonly sessionId: string | null;
}

/** Tokens written in a transaction; the ID token is signed after it commits. */
export interface IssuedTokens {
  readonly response: TokenResponse;
  signIdToken(): Promise<string | undefined>;
}

/** What a grant's transaction settles: tokens, or an error to answer once it has committed. */
export type GrantOutcome = { readonly error: OAuthError } | { readonly tokens: IssuedTokens };

/**
 * Answers a settled grant. Errors are thrown only here, after the transaction committed, so that
 * what a failed redemption must leave behind (a consumed code, a revoked family) stays.
 */
export async function completeGrant(outcome: GrantOutcome): Promise<TokenResponse> {
  if ('error' in outcome) throw outcome.error;
  const idToken = await outcome.tokens.signIdToken();
  return idToken === undefined ? outcome.tokens.response : { ...outcome.tokens.response, id_token: idToken };
}

/**
 * The org's keys when the client gets RFC 9068 JWT access tokens, else null. Loaded before a
 * grant's transaction opens: loading may touch storage, which must not wait on that transaction.
 */
export async function accessTokenSigner(ctx: OrgContext, client: Client): Promise<OrgSigningKeys | null> {
  return client.accessTokenFormat === 'jwt' ? ctx.signingKeys() : null;
}

/**
 * RFC 9068 §2.2: `typ: at+jwt`, iss, exp, aud, sub, client_id, iat, jti, scope. Without a
 * resource indicator the audience is the issuer (the org's own resources, userinfo first).
 * Like an opaque token it is stored as a SHA-256 under an id (its `jti`), so revocation and
 * introspection work the same.
 */
async function newJwtAccessToken(
  ctx: OrgContext,
  signer: OrgSigningKeys,
  token: { readonly client: Client; readonly user: UserGrant | null; readonly scope: string; readonly issuedAt: number; readonly expiresAt: number },
): Promise<MintedCredential> {
  const jti = timeOrderedId(token.issuedAt);
  const jwt = await signer.sign(
    {
      iss: ctx.issuer,
      sub: token.user?.accountId ?? token.client.clientId,
      aud: ctx.issuer,
      client_id: token.client.clientId,
      iat: Math.floor(token.issuedAt / 1000),
      exp: Math.floor(token.expiresAt / 1000),
      jti,
      scope: token.scope,
      ...(token.user === null ? {} : { auth_time: Math.floor(token.user.authTime / 1000) }),
    },
    { alg: token.client.idTokenSignedResponseAlg, typ: 'at+jwt' },
  );
  return { ...jwtCredentialKey(jti, jwt), value: jwt };
}

/**
 * The family that every token of one authorization belongs to, to be written with its first
 * tokens (issueTokens' `newFamily`).
 */
export function newFamily(
  ctx: OrgContext,
  family: { readonly id: string; readonly client: Client; readonly user: UserGrant; readonly scope: readonly string[] },
): NewTokenFamily {
  const now = ctx.clock();
  return {
    id: family.id,
    orgId: ctx.org.id,
    clientId: family.client.clientId,
    accountId: family.user.accountId,
    scope: family.scope.join(' '),
    authTime: family.user.authTime,
    createdAt: now,
    expiresAt: now + ctx.org.settings.refreshTokenTtlSeconds * 1000,
  };
}

/**
 * Issues an access token, and a refresh token and ID token when asked, writing their hashes
 * (and the new family, if any) together with `db` (the caller's transaction). The ID token is
 * signed last, outside any storage work.
 */
export async function issueTokens(
  ctx: OrgContext,
  db: Executor,
  grant: {
    /** The grant type of the token request, stored with the access token to count it (console overview). */
    readonly grantType: IssuingGrant;
    readonly client: Client;
    readonly scope: readonly string[];
    readonly user: UserGrant | null;
    readonly familyId: string | null;
    /** The family this grant starts, written with its tokens. */
    readonly newFamily?: NewTokenFamily;
    /** When set, a refresh token is issued that expires then (the family's absolute end). */
    readonly refreshExpiresAt: number | null;
    /** The refresh token's scope when it differs from the access token's (a narrowed refresh keeps the grant's). */
    readonly refreshScope?: readonly string[];
    /** When set (and `openid` is in scope), an ID token is issued. */
    readonly idToken: IdTokenRequest | null;
    /** From accessTokenSigner: set when the client takes JWT access tokens. */
    readonly signer: OrgSigningKeys | null;
  },
): Promise<IssuedTokens> {
  const now = ctx.clock();
  const settings = ctx.org.settings;
  const scope = grant.scope.join(' ');
  const expiresAt = now + settings.accessTokenTtlSeconds * 1000;
  const access =
    grant.signer === null ? mintOpaqueCredential(now) : await newJwtAccessToken(ctx, grant.signer, { client: grant.client, user: grant.user, scope, issuedAt: now, expiresAt });
  const accessToken = access.value;
  const accessToStore: NewAccessToken = {
    id: access.id,
    hash: access.hash,
    orgId: ctx.org.id,
    clientId: grant.client.clientId,
    familyId: grant.familyId,
    accountId: grant.user?.accountId ?? null,
    scope,
    createdAt: now,
    expiresAt,
    grantType: grant.grantType,
  };
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: settings.accessTokenTtlSeconds, scope };
  let refreshToStore: NewRefreshToken | undefined;
  if (grant.refreshExpiresAt !== null && grant.user !== null && grant.familyId !== null) {
    const refresh = mintOpaqueCredential(now);
    refreshToStore = {
      id: refresh.id,
      hash: refresh.hash,
      orgId: ctx.org.id,
      clientId: grant.client.clientId,
      familyId: grant.familyId,
      accountId: grant.user.accountId,
      scope: (grant.refreshScope ?? grant.scope).join(' '),
      authTime: grant.user.authTime,
      createdAt: now,
      expiresAt: grant.refreshExpiresAt,
    };
    response.refresh_token = refresh.value;
  }
  await insertGrantCredentials(db, {
    ...(grant.newFamily === undefined ? {} : { family: grant.newFamily }),
    access: accessToStore,
    ...(refreshToStore === undefined ? {} : { refresh: refreshToStore }),
  });
  if (grant.user !== null) response.account_id = grant.user.accountId;

  const user = grant.user;
  const idToken = grant.idToken;
  const signIdToken = async (): Promise<string | undefined> => {
    if (user === null || idToken === null || !grant.scope.includes('openid')) return undefined;
    const keys = await ctx.signingKeys();
    const nowSeconds = Math.floor(now / 1000);
    return keys.sign(
      {
        iss: ctx.issuer,
        sub: user.accountId,
        aud: grant.client.clientId,
        azp: grant.client.clientId,
        iat: nowSeconds,
        exp: nowSeconds + settings.idTokenTtlSeconds,
        auth_time: Math.floor(user.authTime / 1000),
        at_hash: leftHalfHash(accessToken),
        ...(idToken.nonce === null ? {} : { nonce: idToken.nonce }),
        ...(idToken.sessionId === null ? {} : { sid: idToken.sessionId }),
      },
      { alg: grant.client.idTokenSignedResponseAlg, typ: 'JWT' },
    );
  };
  return { response, signIdToken };
}

/** OpenID Connect Core §3.1.3.6 at_hash: base64url of the left half of SHA-256 (ES256 and RS256 both use SHA-256). */
function leftHalfHash(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest().subarray(0, 16).toString('base64url');
}
