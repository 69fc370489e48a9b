import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { UpstreamClient } from '../upstream/upstream-client.ts';
import type { Vault } from '../vault/vault.ts';

/** What the connect flow needs of the organization it runs in: a shape, so connectors/ knows no orgs/ type. */
export interface ConnectOrganization {
  readonly id: string;
  readonly slug: string;
  readonly settings: { readonly connectTargetOrigins: readonly string[] };
}

export interface ConnectDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly upstream: UpstreamClient;
  /** PUBLIC_URL: the redirect URI is `PUBLIC_URL/o/<slug>/connectorauth/callback`. */
  readonly publicUrl: string;
  /** http issuers and endpoints (OUTBOUND_ALLOW_PRIVATE_NETWORK: development and tests only). */
  readonly allowHttp: boolean;
}

export const CALLBACK_PATH = '/connectorauth/callback';
/** The seed's step 2: where the user's browser starts a connect flow. */
export const START_PATH = '/connectorauth/updateaccountconnectoroauth';

/** Written as the app connector's `redirect_uri` shows it (app-connectors.routes.ts), so the one registered is the one sent. */
export function connectRedirectUri(publicUrl: string, slug: string): string {
  return `${publicUrl}/o/${slug}${CALLBACK_PATH}`;
}

/**
 * How the org's backend has a customer connect a connector again (the seed's steps 1 and 2):
 * where to ask for a sign-in token for a user of the account, and the URL to send that user to,
 * with `{Token}` and `{targetOrigin}` to fill in, URL-encoded. Sent with connector.needs_reauth.
 */
export function reconnectLinks(publicUrl: string, slug: string, connector: { readonly id: string; readonly accountId: string }): { readonly signintoken_url: string; readonly connect_url_template: string } {
  const base = `${publicUrl}/o/${slug}`;
  return {
    signintoken_url: `${base}/v1.0/accounts/${encodeURIComponent(connector.accountId)}/signintoken`,
    connect_url_template: `${base}${START_PATH}?id=${encodeURIComponent(connector.id)}&token={Token}&targetOrigin={targetOrigin}`,
  };
}
