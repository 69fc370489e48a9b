// Codes, token families, access and refresh tokens as the protocol writes and reads them, in
// TypeScript's names: credentials.repository.ts maps them to and from rows, so that no domain file
// sees a row. Types only, importing nothing: the repository and the domain both import them.
//
// `id` and `hash` are a credential's key (credentials.ts: CredentialKey); times are milliseconds
// since the epoch.

/** An authorization code (RFC 6749 §4.1.2), bound to its client, redirect URI, PKCE challenge and sign-in. */
export interface NewCode {
  readonly id: string;
  readonly hash: string;
  readonly orgId: string;
  readonly clientId: string;
  readonly accountId: string;
  /** The family the code's tokens will join, known before redemption so that a replay can revoke it. */
  readonly familyId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | null;
  readonly authTime: number;
  /** The SSO session the code came from (OpenID `sid`), when there was one. */
  readonly sessionId: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface StoredCode extends NewCode {
  /** Set by its one redemption; a code presented again after it revokes its family. */
  readonly consumedAt: number | null;
}

/** Everything issued from one authorization: revoking the family revokes each of its tokens. */
export interface NewTokenFamily {
  readonly id: string;
  readonly orgId: string;
  readonly clientId: string;
  readonly accountId: string;
  readonly scope: string;
  readonly authTime: number;
  readonly createdAt: number;
  /** The refresh lifetime's absolute end: rotation never extends a family past it. */
  readonly expiresAt: number;
}

/** A family that can still be used, as an account's page of authorizations lists it. */
export interface LiveTokenFamily {
  readonly id: string;
  readonly clientId: string;
  readonly scope: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** The grant an access token was issued by: counted per day for the console's overview (migration 0018). */
export type IssuingGrant = 'authorization_code' | 'refresh_token' | 'client_credentials';
export const ISSUING_GRANTS: readonly IssuingGrant[] = ['authorization_code', 'refresh_token', 'client_credentials'];

export interface NewAccessToken {
  readonly id: string;
  readonly hash: string;
  readonly orgId: string;
  readonly clientId: string;
  /** Null for client_credentials tokens, which belong to no family. */
  readonly familyId: string | null;
  /** The constituent; null for client_credentials tokens. */
  readonly accountId: string | null;
  readonly scope: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Absent or null: not counted (tokens written by hand, in tests). */
  readonly grantType?: IssuingGrant | null;
}

// A token is read back for what it allows, never for the grant that issued it (only counted).
export interface StoredAccessToken extends Omit<NewAccessToken, 'grantType'> {
  readonly revokedAt: number | null;
}

export interface NewRefreshToken {
  readonly id: string;
  readonly hash: string;
  readonly orgId: string;
  readonly clientId: string;
  readonly familyId: string;
  readonly accountId: string;
  readonly scope: string;
  /** The family's auth_time, kept with the token so that a refresh needs no read of the family. */
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface StoredRefreshToken extends NewRefreshToken {
  /** Set when it was exchanged for its successor; presenting it again revokes the family. */
  readonly rotatedAt: number | null;
  readonly revokedAt: number | null;
}

/** What one grant writes: its access token, and a refresh token and a new family when it has them. */
export interface NewGrantCredentials {
  readonly family?: NewTokenFamily;
  readonly access: NewAccessToken;
  readonly refresh?: NewRefreshToken;
}
