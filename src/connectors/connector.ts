// The connector hub's values (a leaf): what the repositories return and the use cases take.

/** One of an org's customers, whose connections the hub holds (the seed's "account"). */
export interface ConnectorAccount {
  readonly orgId: string;
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A user of an account, created on first use by the sign-in token call. */
export interface ConnectorAccountUser {
  readonly accountId: string;
  readonly id: string;
  readonly username: string;
  readonly createdAt: number;
}

/** A provider installed in an org with the org's own app credentials (Cyclr's "Application Connector"). */
export interface AppConnector {
  readonly orgId: string;
  readonly id: string;
  readonly provider: string;
  readonly name: string;
  readonly clientId: string | null;
  /** The vault value, never the secret: open it with the vault (appConnectorSecretAad). */
  readonly sealedClientSecret: string | null;
  readonly scopes: readonly string[];
  readonly config: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const ACCOUNT_CONNECTOR_STATUSES = ['unauthenticated', 'authenticated', 'needs_reauth', 'disabled'] as const;
export type AccountConnectorStatus = (typeof ACCOUNT_CONNECTOR_STATUSES)[number];

/** One account's connection to an app connector. */
export interface AccountConnector {
  readonly orgId: string;
  readonly id: string;
  readonly accountId: string;
  readonly appConnectorId: string;
  readonly name: string;
  readonly status: AccountConnectorStatus;
  /** The properties kept in clear (ClientId, …); the SECRET_PROPERTIES are sealed apart. */
  readonly properties: Readonly<Record<string, string>>;
  /** The vault value of the secret properties as a JSON object (accountConnectorSecretsAad), or null when none is set. */
  readonly sealedSecretProperties: string | null;
  /** The names of the secret properties set, so reads can say which are set without opening them. */
  readonly secretPropertyNames: readonly string[];
  readonly config: Readonly<Record<string, string>>;
  /** The vault value of the Credentials (accountConnectorCredentialsAad), or null. */
  readonly sealedCredentials: string | null;
  /** AuthValue "{}" was set: the hub obtains the token itself on the next credential request. */
  readonly selfAuthenticate: boolean;
  readonly accessExpiresAt: number | null;
  readonly refreshExpiresAt: number | null;
  /** When the background refresh renews the token; null when not scheduled (connectors/refresh/schedule.ts). */
  readonly nextRefreshAt: number | null;
  readonly lastRefreshedAt: number | null;
  /** The last refresh's failure, kept until a refresh succeeds; never a secret. */
  readonly lastRefreshError: RefreshFailure | null;
  /** Failed refreshes in a row. */
  readonly refreshAttempts: number;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Why a refresh failed: the provider's error code and description when it gave them, else ours. */
export interface RefreshFailure {
  readonly code: string;
  readonly description: string | null;
}

/** A connector's refresh bookkeeping with no refresh behind it: what new credentials (a connect, an import) start from. */
export const NO_REFRESH_HISTORY = Object.freeze({ lastRefreshError: null, refreshAttempts: 0 } as const);

/** What the vault holds for a connection: its tokens and what the flow kept beside them. */
export interface Credentials {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly tokenType: string;
  /** Epoch ms; null: does not expire, or not known. */
  readonly accessExpiresAt: number | null;
  readonly refreshExpiresAt: number | null;
  /** The provider's values kept with the tokens (`instance_url`, …). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The properties whose values are sealed and never returned: per-connection app secrets and API credentials. */
export const SECRET_PROPERTIES: readonly string[] = ['ClientSecret', 'ApiKey', 'Password'];

// Associated data of each sealed column: the row's id and the field, so that a value copied into
// another row or column does not open (the vault adds the organization).
export const appConnectorSecretAad = (id: string): string => `app_connector:${id}:client_secret`;
export const accountConnectorSecretsAad = (id: string): string => `account_connector:${id}:secret_properties`;
export const accountConnectorCredentialsAad = (id: string): string => `account_connector:${id}:credentials`;

/** A sign-in token as stored: its hash, never the token. */
export interface ConnectorSignInToken {
  readonly orgId: string;
  readonly id: string;
  readonly tokenHash: string;
  readonly accountId: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
}
