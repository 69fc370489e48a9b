// Why GET /api/v2/account-connectors/{id}/credentials hands out no credential. Messages name the
// connector's state or the provider's refusal, never a token or a secret.

export abstract class CredentialsError extends Error {
  abstract readonly code: 'connector_not_authenticated' | 'connector_needs_reauth' | 'connector_misconfigured' | 'upstream_unavailable' | 'connector_credentials_unreadable' | 'vault_unavailable';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Nothing to hand out: never connected, deauthenticated, disabled, or a property the auth mode needs is unset. */
export class ConnectorNotAuthenticatedError extends CredentialsError {
  readonly code = 'connector_not_authenticated';
}

/** The provider's grant is gone (invalid_grant, or no refresh token to renew with): only a new connect flow or AuthValue brings it back. */
export class ConnectorNeedsReauthError extends CredentialsError {
  readonly code = 'connector_needs_reauth';
}

/** The app connector's or the connection's settings are wrong (a refused client, a bad issuer, a missing config value): staff must fix them; retrying will not help. */
export class ConnectorMisconfiguredError extends CredentialsError {
  readonly code = 'connector_misconfigured';
}

/** The provider could not be reached or answered 5xx, or another request's refresh did not finish in time: retry after `retryAfterSeconds`. */
export class CredentialsUnavailableError extends CredentialsError {
  readonly code = 'upstream_unavailable';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The stored credentials do not open (altered, or sealed for another row): they are lost; a new connect flow or AuthValue replaces them. */
export class ConnectorCredentialsUnreadableError extends CredentialsError {
  readonly code = 'connector_credentials_unreadable';
}

/** The server's root key does not open the organization's data key: its configuration (GATEHOUSE_SECRET_KEY) must be fixed; nothing about the connector is wrong. */
export class VaultUnavailableError extends CredentialsError {
  readonly code = 'vault_unavailable';
}
