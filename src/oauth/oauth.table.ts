/** A validated authorization request waiting for the constituent to sign in and consent. */
export interface AuthorizationRequestsTable {
  /** Random, in the sign-in page's URL; useless without the browser it is bound to. */
  id: string;
  org_id: string;
  client_id: string;
  /** JSON of the validated AuthorizationRequest parameters. */
  params: string;
  /** SHA-256 of the browser-binding cookie set when the request arrived (login CSRF defence). */
  browser_binding_hash: string;
  /** Random token every form of this interaction must echo. */
  csrf_token: string;
  /**
   * The client network the request came from (lib/client-network.ts), as a keyed hash: pending
   * requests are counted and evicted per network (oauth/sessions/pending-sign-ins.ts).
   */
  client_network: string;
  /** Set once the constituent signed in during this interaction. */
  account_id: string | null;
  auth_time: number | null;
  created_at: number;
  expires_at: number;
}

/** A constituent's single sign-on session at one organization, shared by all its clients. */
export interface SsoSessionsTable {
  /** SHA-256 of the session cookie's value. */
  id_hash: string;
  org_id: string;
  account_id: string;
  /** When the constituent last authenticated (OpenID Connect `auth_time`), ms. */
  auth_time: number;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

/** Remembered consent: the scopes a constituent allowed a client. */
export interface ConsentGrantsTable {
  org_id: string;
  account_id: string;
  client_id: string;
  scope: string;
  created_at: number;
  updated_at: number;
}

/**
 * Everything issued from one authorization (one code, or one client_credentials request with a
 * refresh family of none): revoking the family revokes every access and refresh token in it.
 */
export interface TokenFamiliesTable {
  id: string;
  org_id: string;
  client_id: string;
  account_id: string | null;
  scope: string;
  auth_time: number | null;
  created_at: number;
  /** The refresh lifetime's absolute end: rotation never extends a family past it. */
  expires_at: number;
  revoked_at: number | null;
}

export interface AuthorizationCodesTable {
  /** The id the code carries (oauth/credentials/credentials.ts); for codes issued before ids, their hash. */
  id: string;
  /** SHA-256 of the code. */
  code_hash: string;
  org_id: string;
  client_id: string;
  account_id: string;
  /** The family the code's tokens will join, known before redemption so a replay can revoke it. */
  family_id: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: 'S256' | null;
  auth_time: number;
  /** The SSO session the code came from (OpenID `sid`), when there was one. */
  session_id: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AccessTokensTable {
  /** The id the token carries (its prefix, or a JWT's `jti`); for tokens issued before ids, their hash. */
  id: string;
  /** SHA-256 of the token. */
  token_hash: string;
  org_id: string;
  client_id: string;
  /** Null for client_credentials tokens, which belong to no family. */
  family_id: string | null;
  /** The constituent; null for client_credentials tokens. */
  account_id: string | null;
  scope: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** Migration 0018: the grant that issued it (counted per day when the purge deletes it); null for tokens issued before. */
  grant_type: string | null;
}

/** Migration 0018: access tokens issued per organization, UTC day and grant, added up as the purge deletes them. */
export interface TokenIssuanceDaysTable {
  org_id: string;
  /** Days since the epoch (UTC). */
  day: number;
  grant_type: string;
  count: number;
}

export interface RefreshTokensTable {
  /** The id the token carries; for tokens issued before ids, their hash. */
  id: string;
  /** SHA-256 of the refresh token. */
  token_hash: string;
  org_id: string;
  client_id: string;
  family_id: string;
  account_id: string;
  scope: string;
  /** The family's auth_time, copied so that a refresh needs no read of the family. */
  auth_time: number;
  created_at: number;
  expires_at: number;
  /** Set when this token was exchanged for its successor; presenting it again revokes the family. */
  rotated_at: number | null;
  revoked_at: number | null;
}
