import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { randomBase32, randomBase64url } from '../lib/random.ts';
import { isValidScopeToken, splitScope } from '../lib/scope.ts';
import { hashSecret } from '../lib/secrets.ts';
import * as repository from './clients.repository.ts';
import { checkRedirectUris, type ClientType } from './redirect-uris.ts';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
export const DEFAULT_CLIENT_SCOPE = 'openid profile email';
/** RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED." */
export const MAX_CODE_TTL_SECONDS = 600;

export type ClientStatus = 'active' | 'pending' | 'rejected' | 'suspended';

export interface Client {
  readonly clientId: string;
  readonly orgId: string;
  readonly name: string;
  readonly clientType: ClientType;
  readonly secretHash: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly scope: string;
  readonly consentRequired: boolean;
  readonly codeTtlSeconds: number | null;
  readonly status: ClientStatus;
  readonly idTokenSignedResponseAlg: 'ES256' | 'RS256';
  readonly accessTokenFormat: 'opaque' | 'jwt';
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewClient {
  readonly name: string;
  readonly clientType: ClientType;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  /** Default `authorization_code refresh_token`. */
  readonly grantTypes?: readonly string[];
  /** Space-separated scopes the client may request. Default `openid profile email`. */
  readonly scope?: string;
  /** Whether constituents are asked for consent. Default: the org's `consentRequiredByDefault`. */
  readonly consentRequired: boolean;
  /** Authorization code lifetime for this client (Jadu: 30 s); default the org's. */
  readonly codeTtlSeconds?: number;
  /** Default ES256. */
  readonly idTokenSignedResponseAlg?: 'ES256' | 'RS256';
  /** Default `opaque`; `jwt` issues RFC 9068 JWT access tokens. */
  readonly accessTokenFormat?: 'opaque' | 'jwt';
}

export interface CreatedClient {
  readonly clientId: string;
  /** Shown once, stored as its SHA-256; null for public clients. */
  readonly clientSecret: string | null;
}

export function checkScope(raw: string, field = 'scope'): string {
  const tokens = splitScope(raw);
  if (tokens.length === 0) throw new InvalidInputError(field, 'must name at least one scope');
  for (const token of tokens) {
    if (!isValidScopeToken(token)) throw new InvalidInputError(field, `'${token}' is not a valid scope token (RFC 6749 §3.3)`);
  }
  return tokens.join(' ');
}

function checkGrantTypes(raw: readonly string[], clientType: ClientType): GrantType[] {
  const grants = [...new Set(raw)];
  for (const grant of grants) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new InvalidInputError('grant_types', `'${grant}' is not supported; use ${GRANT_TYPES.join(', ')}`);
    }
  }
  if (grants.length === 0) throw new InvalidInputError('grant_types', 'must name at least one grant type');
  if (grants.includes('refresh_token') && !grants.includes('authorization_code')) {
    throw new InvalidInputError('grant_types', 'refresh_token needs authorization_code: refresh tokens are only issued by the code flow');
  }
  // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
  if (clientType === 'public' && grants.includes('client_credentials')) {
    throw new InvalidInputError('grant_types', 'a public client cannot use client_credentials: it has no credentials');
  }
  return grants as GrantType[];
}

export async function createClient(db: Executor, clock: Clock, orgId: string, input: NewClient): Promise<CreatedClient> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw new InvalidInputError('name', 'must be 1 to 200 characters');
  const grantTypes = checkGrantTypes(input.grantTypes ?? DEFAULT_GRANT_TYPES, input.clientType);
  const usesRedirects = grantTypes.includes('authorization_code');
  const redirectUris = checkRedirectUris(input.redirectUris, input.clientType, 'redirect_uris');
  const postLogoutRedirectUris = checkRedirectUris(input.postLogoutRedirectUris ?? [], input.clientType, 'post_logout_redirect_uris');
  if (usesRedirects && redirectUris.length === 0) {
    throw new InvalidInputError('redirect_uris', 'at least one redirect URI is required (only a client_credentials-only service client has none)');
  }
  if (!usesRedirects && redirectUris.length + postLogoutRedirectUris.length > 0) {
    throw new InvalidInputError('redirect_uris', 'a client_credentials-only service client never redirects; register no redirect URIs');
  }
  const scope = checkScope(input.scope ?? DEFAULT_CLIENT_SCOPE);
  const codeTtl = input.codeTtlSeconds;
  if (codeTtl !== undefined && (!Number.isInteger(codeTtl) || codeTtl < 1 || codeTtl > MAX_CODE_TTL_SECONDS)) {
    throw new InvalidInputError('code_ttl_seconds', `must be a whole number of seconds from 1 to ${MAX_CODE_TTL_SECONDS}`);
  }

  const idTokenAlg = input.idTokenSignedResponseAlg ?? 'ES256';
  if (idTokenAlg !== 'ES256' && idTokenAlg !== 'RS256') throw new InvalidInputError('id_token_signed_response_alg', 'must be ES256 or RS256');
  const accessTokenFormat = input.accessTokenFormat ?? 'opaque';
  if (accessTokenFormat !== 'opaque' && accessTokenFormat !== 'jwt') throw new InvalidInputError('access_token_format', 'must be opaque or jwt');

  const clientId = randomBase32(26);
  const clientSecret = input.clientType === 'confidential' ? `gsec_${randomBase64url(32)}` : null;
  const now = clock();
  await repository.insertClient(db, {
    id: clientId,
    org_id: orgId,
    name,
    client_type: input.clientType,
    secret_hash: clientSecret === null ? null : hashSecret(clientSecret),
    redirect_uris: JSON.stringify(redirectUris),
    post_logout_redirect_uris: JSON.stringify(postLogoutRedirectUris),
    grant_types: JSON.stringify(grantTypes),
    scope,
    consent_required: input.consentRequired ? 1 : 0,
    code_ttl_seconds: codeTtl ?? null,
    status: 'active',
    id_token_signed_response_alg: idTokenAlg,
    access_token_format: accessTokenFormat,
    created_at: now,
    updated_at: now,
  });
  return { clientId, clientSecret };
}

export const findClient = repository.findClient;
export const listActiveClients = repository.listActiveClients;
