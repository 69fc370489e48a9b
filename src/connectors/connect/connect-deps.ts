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

/** The seed's start of the connect flow (the link a customer's browser opens with a sign-in token). */
export const START_PATH = '/connectorauth/updateaccountconnectoroauth';

/** Written as the app connector's `redirect_uri` shows it (app-connectors.routes.ts), so the one registered is the one sent. */
export function connectRedirectUri(publicUrl: string, slug: string): string {
  return `${publicUrl}/o/${slug}${CALLBACK_PATH}`;
}
