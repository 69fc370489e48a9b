// Row types of the connector hub's model (migration 0012). Only db/database.ts and the
// connectors' repositories import them.

export interface ConnectorAccountsTable {
  org_id: string;
  /** Chosen by the org (its own customer id) or generated (`act_…`). */
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export interface ConnectorAccountUsersTable {
  org_id: string;
  account_id: string;
  /** `acu_…`. */
  id: string;
  /** Unique within its account. */
  username: string;
  created_at: number;
}

export interface AppConnectorsTable {
  org_id: string;
  /** `apc_…`. */
  id: string;
  /** A catalogue entry's id. */
  provider: string;
  name: string;
  client_id: string | null;
  /** A vault value, associated data `app_connector:<id>:client_secret`; null when none was given. */
  client_secret: string | null;
  /** JSON array of scopes; empty for the provider's default scopes. */
  scopes: string;
  /** JSON object of config field values. */
  config: string;
  created_at: number;
  updated_at: number;
}

export interface AccountConnectorsTable {
  org_id: string;
  /** `acn_…`. */
  id: string;
  account_id: string;
  app_connector_id: string;
  name: string;
  status: 'unauthenticated' | 'authenticated' | 'needs_reauth' | 'disabled';
  /** JSON object of the properties kept in clear (ClientId, …). */
  properties: string;
  /** The secret properties (ClientSecret, ApiKey, Password) as one sealed JSON object, associated data `account_connector:<id>:secret_properties`; null when none. */
  secret_properties: string | null;
  /** JSON array of the names of the secret properties set, in clear: reads say which are set without opening them. */
  secret_property_names: string;
  /** JSON object of config field values (over the app connector's). */
  config: string;
  /** The sealed JSON of the tokens and kept metadata, associated data `account_connector:<id>:credentials`. */
  credentials: string | null;
  /** 1 after AuthValue "{}": the hub obtains the token itself on the next credential request. */
  self_authenticate: number;
  /** In clear, for the refresh logic: when the access token (and the refresh token) expire; null for never or unknown. */
  access_expires_at: number | null;
  refresh_expires_at: number | null;
  /** Migration 0013: a random id of the request refreshing the token, while it holds the lease; null when free. */
  refresh_lease_owner: string | null;
  /** Epoch ms after which the lease is free even if held (its holder died). */
  refresh_lease_expires_at: number | null;
  /** Migration 0017: when the background refresh should renew the token (epoch ms); null when it is not scheduled (not authenticated, or no expiry). */
  next_refresh_at: number | null;
  /** When a refresh last stored new tokens. */
  last_refreshed_at: number | null;
  /** The last refresh failure's code (the provider's, such as `invalid_grant`, or ours, such as `upstream_unavailable`); null after a success. */
  last_refresh_error: string | null;
  /** The provider's error_description or our reason, printable, never a secret; null when none. */
  last_refresh_error_description: string | null;
  /** Failed refreshes in a row; 0 after a success. */
  refresh_attempts: number;
  /** Incremented by every change, for conditional updates (a refresh racing a reconnect). */
  version: number;
  created_at: number;
  updated_at: number;
}

/** Migration 0014: the seed's single-use sign-in tokens. */
export interface ConnectorSigninTokensTable {
  org_id: string;
  /** `sit_…`: names the token in logs and audit events; never the token itself. */
  id: string;
  /** SHA-256 (base64url) of the token given out; the token is never stored. */
  token_hash: string;
  account_id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** When it was used; null until then. */
  used_at: number | null;
}
