/**
 * The client registry's values, as the domain, the use cases and the repository all speak of
 * them. A leaf: it imports nothing, so the repository can map rows to these types without
 * importing the domain that calls it.
 */

/** RFC 6749 §2.1: a confidential client can keep a secret; a public one (a browser or native app) cannot. */
export type ClientType = 'confidential' | 'public';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export type ClientStatus = 'active' | 'pending' | 'rejected' | 'suspended';
/** Who registered a client: staff (CLI, management API), the public registration page, or RFC 7591 dynamic registration. */
export type RegistrationSource = 'staff' | 'registration_page' | 'dynamic';
export type IdTokenAlg = 'ES256' | 'RS256';
export type AccessTokenFormat = 'opaque' | 'jwt';

/**
 * The networks a client authenticated from recently, its usual places (clients/auth-networks.ts).
 */
export interface ClientAuthNetworks {
  /** Network pseudonym → the time (ms) of the client's last success from it as written. */
  readonly lastSeen: ReadonlyMap<string, number>;
  /** The list as stored when read: a change is written only over this very value (compare and set). */
  readonly stored: string;
}

export interface Client {
  readonly clientId: string;
  readonly orgId: string;
  readonly name: string;
  readonly clientType: ClientType;
  readonly secretHash: string | null;
  /** The secret replaced by the last rotation, still accepted until `previousSecretExpiresAt`. */
  readonly previousSecretHash: string | null;
  readonly previousSecretExpiresAt: number | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly scope: string;
  readonly consentRequired: boolean;
  readonly codeTtlSeconds: number | null;
  readonly status: ClientStatus;
  readonly idTokenSignedResponseAlg: IdTokenAlg;
  readonly accessTokenFormat: AccessTokenFormat;
  readonly registrationSource: RegistrationSource;
  readonly requesterName: string | null;
  readonly requesterEmail: string | null;
  readonly requestReason: string | null;
  /** The networks it authenticated from recently: its usual places (clients/auth-networks.ts). */
  readonly authNetworks: ClientAuthNetworks;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Who asked for a client registered from outside the organization, and why. Such a client starts `pending`. */
export interface RegistrationRequest {
  readonly source: Exclude<RegistrationSource, 'staff'>;
  readonly requesterName: string | null;
  readonly requesterEmail: string | null;
  readonly requestReason: string | null;
}

/** A client's changeable metadata, as creation and update both judge it (strings as given: the rules refuse bad values). */
export interface ClientSettings {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly string[];
  readonly scope: string;
  readonly codeTtlSeconds: number | null;
  readonly idTokenSignedResponseAlg: string;
  readonly accessTokenFormat: string;
}

/** ClientSettings that passed every rule, normalized as stored. */
export interface CheckedClientSettings extends ClientSettings {
  readonly grantTypes: readonly GrantType[];
  readonly idTokenSignedResponseAlg: IdTokenAlg;
  readonly accessTokenFormat: AccessTokenFormat;
}
