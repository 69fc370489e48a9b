import type { Branding } from './branding.ts';

// The value of an organization's settings and their defaults: a leaf, imported by the domain, the
// use cases and the repository (which alone maps it to and from its JSON column).

/** Per-organization policy. Stored as snake_case JSON; unknown or missing keys fall back to defaults. */
export interface OrgSettings extends Branding {
  /** Authorization code lifetime. Default 600 s: Neon's 10 minutes, the RFC 6749 §4.1.2 maximum. */
  readonly codeTtlSeconds: number;
  /** Access token lifetime, the `expires_in` of token responses. Default 3600 s. */
  readonly accessTokenTtlSeconds: number;
  /** Refresh token (family) lifetime. Default 30 days. */
  readonly refreshTokenTtlSeconds: number;
  /** ID token lifetime. Default 3600 s. */
  readonly idTokenTtlSeconds: number;
  /** Whether clients created without saying otherwise ask constituents for consent. Default true. */
  readonly consentRequiredByDefault: boolean;
  /** Lifetime of a constituent's single sign-on session. Default 8 hours. */
  readonly ssoSessionTtlSeconds: number;
  /**
   * Org-defined scopes and the custom attributes each releases at userinfo (Neos's `patreon`).
   * Keys are scope names; they must not shadow the OpenID scopes.
   */
  readonly customScopes: Readonly<Record<string, CustomScope>>;
  /**
   * Whether people outside the organization may ask for a client (the registration page and
   * RFC 7591 dynamic registration): `closed` (default: staff create every client) or `approval`
   * (requests land `pending` until staff approve them).
   */
  readonly clientRegistration: ClientRegistrationMode;
  /**
   * SHA-256 of the initial access token (RFC 7591 §3) dynamic registration requests must carry
   * as `Authorization: Bearer`; null (default) asks for none.
   */
  readonly registrationInitialAccessTokenHash: string | null;
  /**
   * `closed` (default): staff create every constituent account. `open`: the sign-in page links
   * to a sign-up page (`/o/<slug>/signup`) where anyone may create an account and continue.
   */
  readonly selfRegistration: SelfRegistrationPolicy;
  /** The exact origins a connector hub connect flow may end at (redirect or postMessage). Default none. */
  readonly connectTargetOrigins: readonly string[];
}

export type ClientRegistrationMode = 'closed' | 'approval';
export const CLIENT_REGISTRATION_MODES: readonly ClientRegistrationMode[] = ['closed', 'approval'];

/** Whether people may create their own constituent account on the hosted sign-up page. */
export type SelfRegistrationPolicy = 'closed' | 'open';
export const SELF_REGISTRATION_POLICIES: readonly SelfRegistrationPolicy[] = ['closed', 'open'];

export interface CustomScope {
  /** Shown on the consent page, in plain words. */
  readonly description: string;
  /** Names of constituent attributes released as claims when the scope is granted. */
  readonly attributes: readonly string[];
}

export const DEFAULT_ORG_SETTINGS: OrgSettings = Object.freeze({
  codeTtlSeconds: 600,
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  idTokenTtlSeconds: 3600,
  consentRequiredByDefault: true,
  ssoSessionTtlSeconds: 8 * 3600,
  customScopes: {},
  clientRegistration: 'closed',
  registrationInitialAccessTokenHash: null,
  logoUrl: null,
  primaryColor: null,
  accentColor: null,
  selfRegistration: 'closed',
  connectTargetOrigins: [],
});
