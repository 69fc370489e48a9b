// A catalogue entry as the hub uses it: checked, defaults filled in, camelCase. Value types only
// (a leaf), so that whatever reads a provider imports no loading or rendering code.

export type AuthMode = 'oauth2' | 'oauth2_client_credentials' | 'api_key' | 'basic';

export type ConfigFormat = 'subdomain' | 'hostname' | 'path_segment' | 'url';

/** One value a connection must (or may) give, such as a Zendesk subdomain or a Salesforce host. */
export interface ConfigField {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly format: ConfigFormat;
  /** Anchored: the whole value must match. */
  readonly pattern: RegExp | null;
  readonly enum: readonly string[] | null;
  readonly default: string | null;
}

/** A value of the flow kept with the tokens (`instance_url`), usable in `apiBaseUrl`. */
export interface KeptMetadata {
  readonly name: string;
  readonly from: 'token_response' | 'callback';
  readonly path: string;
  readonly format: ConfigFormat;
}

/** Where the OAuth endpoints come from: fixed templates, or an issuer's discovery document. */
export type OAuthEndpoints =
  | { readonly kind: 'templated'; readonly authorizationUrl: string | null; readonly tokenUrl: string; readonly refreshUrl: string }
  | { readonly kind: 'discovered'; readonly issuer: string };

export interface TokenResponseRules {
  readonly accessTokenPath: string;
  readonly refreshTokenPath: string;
  readonly expiresInPath: string;
  readonly expiresInUnit: 'seconds' | 'milliseconds';
  /** When the response gives no expiry: the lifetime to assume, or null for a token that does not expire. */
  readonly assumedLifetimeSeconds: number | null;
  readonly refreshTokenExpiresInPath: string | null;
  readonly refreshTokenOnRefresh: 'rotated' | 'same' | 'not_returned';
  readonly errorsWithHttp200: boolean;
}

/** The background refresh's settings of an entry (connectors/refresh/schedule.ts). */
export interface RefreshRules {
  /** Renew this long before the access token expires (default 15 minutes), at most half the token's lifetime. */
  readonly marginMs: number;
  /** The refresh token lapses when unused this long; null when the provider documents no idle lifetime. */
  readonly refreshTokenIdleMs: number | null;
  /** Error codes meaning the grant is gone, besides invalid_grant and invalid_client. */
  readonly reauthErrorCodes: readonly string[];
}

export interface OAuthSettings {
  readonly endpoints: OAuthEndpoints;
  readonly scopeSeparator: ' ' | ',';
  readonly defaultScopes: readonly string[];
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly tokenParams: Readonly<Record<string, string>>;
  readonly refreshParams: Readonly<Record<string, string>>;
  readonly clientAuthentication: 'client_secret_basic' | 'client_secret_post';
  readonly tokenBodyFormat: 'form' | 'json';
  readonly pkce: boolean;
  readonly tokenResponse: TokenResponseRules;
  readonly refresh: RefreshRules;
}

export interface ApiKeyPlacement {
  readonly in: 'header' | 'query';
  readonly name: string;
  readonly prefix: string;
}

export interface Provider {
  readonly id: string;
  readonly displayName: string;
  readonly authMode: AuthMode;
  readonly categories: readonly string[];
  readonly docsUrl: string;
  readonly configFields: readonly ConfigField[];
  /** Present for `oauth2` and `oauth2_client_credentials`, null otherwise. */
  readonly oauth: OAuthSettings | null;
  /** Present for `api_key`, null otherwise. */
  readonly apiKey: ApiKeyPlacement | null;
  readonly keptMetadata: readonly KeptMetadata[];
  readonly apiBaseUrl: string | null;
  readonly exampleConfig: Readonly<Record<string, string>>;
}

/** Connection config as a connection holds it: field name to value. */
export type ConnectionConfig = Readonly<Record<string, string | undefined>>;
