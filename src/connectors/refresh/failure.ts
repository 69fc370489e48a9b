import { AuthorizationRequestError, InvalidTemplateValueError, MissingTemplateValueError, UnsafeEndpointError } from '../catalogue/catalogue-errors.ts';
import type { Provider } from '../catalogue/provider.ts';
import type { RefreshFailure } from '../connector.ts';
import { ConnectorCredentialsUnreadableError, ConnectorMisconfiguredError, ConnectorNeedsReauthError, VaultUnavailableError } from '../credentials-errors.ts';
import { UpstreamMisconfigured, UpstreamRejected, UpstreamUnavailable } from '../upstream/upstream-errors.ts';
import { DataKeyUnavailableError, VaultOpenError } from '../vault/vault.ts';

// The failure taxonomy of a refresh (issue 12, docs/decisions/0013): the grant is gone, and only
// a new connect flow or AuthValue brings the connector back (needs_reauth at once), or the
// attempt failed and a later one may succeed (retried with backoff, status unchanged). What is
// kept of the failure is the provider's error code and description (already free of what the
// request sent: upstream-answer.ts) or our own code and message, never a token.

/** Codes that mean the grant (or the app's right to use it) is gone at any provider (RFC 6749 §5.2). */
export const REAUTH_ERROR_CODES: readonly string[] = ['invalid_grant', 'invalid_client'];

export type ClassifiedFailure =
  | { readonly kind: 'grant_gone'; readonly failure: RefreshFailure }
  | { readonly kind: 'retry'; readonly failure: RefreshFailure; readonly retryAfterSeconds: number | null };

/** The failure's kind, or null for an error that is none of a refresh's (a store failure, a bug): the caller rethrows it. */
export function classifyRefreshFailure(error: unknown, provider: Provider): ClassifiedFailure | null {
  if (error instanceof UpstreamRejected) {
    const failure = { code: error.error ?? 'upstream_rejected', description: error.description ?? error.message };
    const gone = error.error !== null && (REAUTH_ERROR_CODES.includes(error.error) || (provider.oauth?.refresh.reauthErrorCodes ?? []).includes(error.error));
    return gone ? { kind: 'grant_gone', failure } : { kind: 'retry', failure, retryAfterSeconds: null };
  }
  if (error instanceof UpstreamUnavailable) return { kind: 'retry', failure: { code: `upstream_${error.reason}`, description: error.message }, retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof UpstreamMisconfigured) return { kind: 'retry', failure: { code: 'upstream_misconfigured', description: error.message }, retryAfterSeconds: null };
  // No refresh token to renew with: nothing but a new authorization helps.
  if (error instanceof ConnectorNeedsReauthError) return { kind: 'grant_gone', failure: { code: 'no_refresh_token', description: error.message } };
  // The stored credentials do not open (altered, or sealed for another row): they are lost, and only new ones help.
  if (error instanceof VaultOpenError || error instanceof ConnectorCredentialsUnreadableError) return { kind: 'grant_gone', failure: { code: 'credentials_unreadable', description: error.message } };
  // The process's root key does not open the org's data key: the server's configuration, not the connector.
  if (error instanceof DataKeyUnavailableError || error instanceof VaultUnavailableError) return { kind: 'retry', failure: { code: 'vault_unavailable', description: error.message }, retryAfterSeconds: null };
  if (
    error instanceof ConnectorMisconfiguredError ||
    error instanceof MissingTemplateValueError ||
    error instanceof InvalidTemplateValueError ||
    error instanceof UnsafeEndpointError ||
    error instanceof AuthorizationRequestError
  ) {
    return { kind: 'retry', failure: { code: 'connector_misconfigured', description: error.message }, retryAfterSeconds: null };
  }
  return null;
}
