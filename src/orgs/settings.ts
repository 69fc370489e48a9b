import { isHexColor, normalizeLogoUrl } from '../lib/branding-values.ts';
import type { Branding } from './branding.ts';

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
}

export type ClientRegistrationMode = 'closed' | 'approval';

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
});

interface StoredSettings {
  code_ttl_seconds?: number;
  access_token_ttl_seconds?: number;
  refresh_token_ttl_seconds?: number;
  id_token_ttl_seconds?: number;
  consent_required_by_default?: boolean;
  sso_session_ttl_seconds?: number;
  custom_scopes?: Record<string, CustomScope>;
  client_registration?: ClientRegistrationMode;
  registration_initial_access_token_hash?: string | null;
  logo_url?: string | null;
  primary_color?: string | null;
  accent_color?: string | null;
  self_registration?: SelfRegistrationPolicy;
}

export function serializeSettings(settings: OrgSettings): string {
  const stored: Required<StoredSettings> = {
    code_ttl_seconds: settings.codeTtlSeconds,
    access_token_ttl_seconds: settings.accessTokenTtlSeconds,
    refresh_token_ttl_seconds: settings.refreshTokenTtlSeconds,
    id_token_ttl_seconds: settings.idTokenTtlSeconds,
    consent_required_by_default: settings.consentRequiredByDefault,
    sso_session_ttl_seconds: settings.ssoSessionTtlSeconds,
    custom_scopes: settings.customScopes,
    client_registration: settings.clientRegistration,
    registration_initial_access_token_hash: settings.registrationInitialAccessTokenHash,
    logo_url: settings.logoUrl,
    primary_color: settings.primaryColor,
    accent_color: settings.accentColor,
    self_registration: settings.selfRegistration,
  };
  return JSON.stringify(stored);
}

export function parseSettings(json: string): OrgSettings {
  const stored = JSON.parse(json) as StoredSettings;
  const d = DEFAULT_ORG_SETTINGS;
  return Object.freeze({
    codeTtlSeconds: stored.code_ttl_seconds ?? d.codeTtlSeconds,
    accessTokenTtlSeconds: stored.access_token_ttl_seconds ?? d.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: stored.refresh_token_ttl_seconds ?? d.refreshTokenTtlSeconds,
    idTokenTtlSeconds: stored.id_token_ttl_seconds ?? d.idTokenTtlSeconds,
    consentRequiredByDefault: stored.consent_required_by_default ?? d.consentRequiredByDefault,
    ssoSessionTtlSeconds: stored.sso_session_ttl_seconds ?? d.ssoSessionTtlSeconds,
    customScopes: stored.custom_scopes ?? d.customScopes,
    // Anything but a known mode reads as closed: registration opens only when asked for.
    clientRegistration: stored.client_registration === 'approval' ? 'approval' : d.clientRegistration,
    registrationInitialAccessTokenHash: stored.registration_initial_access_token_hash ?? d.registrationInitialAccessTokenHash,
    // Branding reaches pages and their CSP: a stored value that breaks the rules reads as unset.
    logoUrl: normalizeLogoUrl(stored.logo_url) ?? d.logoUrl,
    primaryColor: isHexColor(stored.primary_color) ? stored.primary_color.toLowerCase() : d.primaryColor,
    accentColor: isHexColor(stored.accent_color) ? stored.accent_color.toLowerCase() : d.accentColor,
    // Anything but `open` reads as closed: sign-up opens only when asked for.
    selfRegistration: stored.self_registration === 'open' ? 'open' : d.selfRegistration,
  });
}
