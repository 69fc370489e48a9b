import { NotFoundError } from '../lib/errors.ts';
import { recordOperation, requirePermission } from '../staff/actor.ts';
import { openSecretProperties } from './account-connector-admin.ts';
import * as repository from './account-connectors.repository.ts';
import * as appConnectors from './app-connectors.repository.ts';
import { findProvider } from './catalogue/catalogue.ts';
import type { AccountConnector } from './connector.ts';
import type { ConnectorOperationContext } from './connector-context.ts';
import { ConnectorMisconfiguredError, ConnectorNeedsReauthError, ConnectorNotAuthenticatedError } from './credentials-errors.ts';
import { isFresh, openCredentials, refreshUnderLease, type RefreshSettings } from './credentials-refresh-admin.ts';
import { OUTBOUND_DEFAULTS } from '../outbound/outbound-client.ts';
import type { UpstreamClient } from './upstream/upstream-client.ts';

// GET /api/v2/account-connectors/{id}/credentials: the one read that hands out a connection's
// secret. A token that stays valid beyond the margin is one indexed read and one vault open; one
// that expires sooner is refreshed first (credentials-refresh-admin.ts: once, whatever the concurrency).

export interface CredentialsOperationContext extends ConnectorOperationContext {
  readonly upstream: UpstreamClient;
  /** PUBLIC_URL: a refresh that finds the grant gone announces where to reconnect. */
  readonly publicUrl: string;
}

export type ConnectorCredentials =
  | { readonly authMode: 'oauth2' | 'oauth2_client_credentials'; readonly accessToken: string; readonly tokenType: string; readonly expiresAt: number | null; readonly metadata: Readonly<Record<string, string>> }
  | { readonly authMode: 'api_key'; readonly apiKey: string }
  | { readonly authMode: 'basic'; readonly username: string; readonly password: string };

export const CREDENTIALS_DEFAULTS: RefreshSettings = Object.freeze({
  /** A token that expires within a minute is refreshed before it is handed out: the caller's request must not meet an expired one. */
  refreshMarginMs: 60_000,
  /** Longer than the outbound call's 10 s, so a live holder keeps it; a dead holder's frees itself after this. */
  leaseMs: 30_000,
  /** A request waiting for another's refresh gives up after the outbound call's timeout and a margin. */
  waitMs: OUTBOUND_DEFAULTS.timeoutMs + 5_000,
});

/**
 * The connector's credentials for the org's backend, audited as `account_connector.credentials_read`
 * (who, which connector, whether a refresh happened; never the token). Needs connectors:write:
 * it hands out a secret, which read-only staff must not get.
 */
export async function readCredentials(ctx: CredentialsOperationContext, id: string): Promise<ConnectorCredentials> {
  requirePermission(ctx.actor, 'connectors:write');
  const { connector, credentials, refreshed } = await credentialsForUse(ctx, id);
  await recordOperation(ctx.db, ctx, {
    action: 'account_connector.credentials_read',
    target: { type: 'account_connector', id: connector.id },
    details: { auth_mode: credentials.authMode, refreshed },
  });
  return credentials;
}

/** A connector's credentials ready to be used, with the connector as read before any refresh. */
export interface CredentialsInUse {
  readonly connector: AccountConnector;
  readonly credentials: ConnectorCredentials;
  /** Whether this call refreshed the token (false when another request's refresh was handed over). */
  readonly refreshed: boolean;
}

/**
 * The connector's credentials exactly as the credentials read gets them (refreshed under the
 * shared lease when expiring), without its permission check or audit event: for a use case that
 * checks and records its own (the API proxy). The caller must have checked connectors:write.
 */
export async function credentialsForUse(ctx: CredentialsOperationContext, id: string): Promise<CredentialsInUse> {
  const settings = CREDENTIALS_DEFAULTS;
  const found = await repository.findAccountConnectorWithProvider(ctx.db, ctx.org.id, id);
  if (found === undefined) throw new NotFoundError('account connector', id);
  const { connector } = found;
  const authMode = findProvider(found.provider)?.authMode;
  if (
    (authMode === 'oauth2' || authMode === 'oauth2_client_credentials') &&
    connector.status === 'authenticated' &&
    connector.sealedCredentials !== null &&
    isFresh(connector, ctx.clock(), settings.refreshMarginMs)
  ) {
    // The hot path: no provider call, no write (but the caller's audit event).
    const held = await openCredentials(ctx, connector);
    return { connector, credentials: { authMode, accessToken: held.accessToken, tokenType: held.tokenType, expiresAt: held.accessExpiresAt, metadata: held.metadata }, refreshed: false };
  }
  return { connector, ...(await credentialsNeedingWork(ctx, connector, settings)) };
}

async function credentialsNeedingWork(
  ctx: CredentialsOperationContext,
  connector: AccountConnector,
  settings: RefreshSettings,
): Promise<{ readonly credentials: ConnectorCredentials; readonly refreshed: boolean }> {
  if (connector.status === 'disabled') throw new ConnectorNotAuthenticatedError('the account connector is disabled');
  if (connector.status === 'needs_reauth') throw new ConnectorNeedsReauthError('the provider refused the connector\'s grant; connect it again (the connect flow or an AuthValue)');
  const app = await appConnectors.findAppConnector(ctx.db, ctx.org.id, connector.appConnectorId);
  if (app === undefined) throw new NotFoundError('app connector', connector.appConnectorId);
  const provider = findProvider(app.provider);
  if (provider === undefined) throw new ConnectorMisconfiguredError(`the app connector's provider '${app.provider}' is not in the catalogue`);

  if (provider.authMode === 'api_key' || provider.authMode === 'basic') {
    const secrets = await openSecretProperties(ctx, connector);
    if (provider.authMode === 'api_key') {
      const apiKey = secrets['ApiKey'];
      if (apiKey === undefined) throw new ConnectorNotAuthenticatedError('the account connector has no ApiKey property');
      return { credentials: { authMode: 'api_key', apiKey }, refreshed: false };
    }
    const username = connector.properties['Username'];
    const password = secrets['Password'];
    if (username === undefined || password === undefined) throw new ConnectorNotAuthenticatedError('the account connector needs both the Username and Password properties');
    return { credentials: { authMode: 'basic', username, password }, refreshed: false };
  }

  const canObtainItself = connector.selfAuthenticate && provider.authMode === 'oauth2_client_credentials';
  if (connector.sealedCredentials === null && !canObtainItself) {
    throw new ConnectorNotAuthenticatedError(
      connector.selfAuthenticate
        ? `the provider '${provider.id}' needs a user's authorization: connect the account connector through the connect flow`
        : 'the account connector is not authenticated: connect it, or set its AuthValue',
    );
  }
  if (connector.sealedCredentials !== null && isFresh(connector, ctx.clock(), settings.refreshMarginMs)) {
    const held = await openCredentials(ctx, connector);
    return { credentials: { authMode: provider.authMode, accessToken: held.accessToken, tokenType: held.tokenType, expiresAt: held.accessExpiresAt, metadata: held.metadata }, refreshed: false };
  }
  const outcome = await refreshUnderLease(ctx, { connector, app, provider }, settings);
  const held = outcome.credentials;
  return {
    credentials: { authMode: provider.authMode, accessToken: held.accessToken, tokenType: held.tokenType, expiresAt: held.accessExpiresAt, metadata: held.metadata },
    refreshed: outcome.refreshedHere,
  };
}
