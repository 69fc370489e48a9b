import type { Executor } from '../../db/database.ts';
import * as accountConnectors from '../account-connectors.repository.ts';
import * as appConnectors from '../app-connectors.repository.ts';
import { findProvider } from '../catalogue/catalogue.ts';
import type { ConnectionConfig, Provider } from '../catalogue/provider.ts';
import { accountConnectorSecretsAad, appConnectorSecretAad, type AccountConnector, type AppConnector } from '../connector.ts';
import { stringRecordFromJson } from '../json-columns.ts';
import type { AppCredentials } from '../upstream/upstream-client.ts';
import type { Vault } from '../vault/vault.ts';
import { ConnectRefused } from './connect-errors.ts';

/** What an authorization-code flow for one connection needs: its rows, its catalogue entry and its config. */
export interface ConnectionSetup {
  readonly connector: AccountConnector;
  readonly app: AppConnector;
  readonly provider: Provider;
  /** The app connector's config with the connection's own values over it (a Salesforce host, a Zendesk subdomain). */
  readonly config: ConnectionConfig;
}

/**
 * The connector, its app connector and entry; undefined when the connector is gone. Refused
 * (not_connectable) when it is disabled or not an oauth2 one.
 */
export async function loadConnectionSetup(db: Executor, orgId: string, connectorId: string): Promise<ConnectionSetup | undefined> {
  const connector = await accountConnectors.findAccountConnector(db, orgId, connectorId);
  if (connector === undefined) return undefined;
  // Staff switched it off: a customer's link must not switch it back on.
  if (connector.status === 'disabled') throw new ConnectRefused('not_connectable');
  const app = await appConnectors.findAppConnector(db, orgId, connector.appConnectorId);
  if (app === undefined) return undefined;
  const provider = findProvider(app.provider);
  if (provider === undefined || provider.authMode !== 'oauth2' || provider.oauth === null) throw new ConnectRefused('not_connectable');
  return { connector, app, provider, config: { ...app.config, ...connector.config } };
}

/**
 * The client id the authorization request names: the connection's own ClientId (the seed's
 * "separate Apps for each of your customers") or the app connector's.
 */
export function clientIdOf(setup: ConnectionSetup): string {
  const clientId = setup.connector.properties['ClientId'] ?? setup.app.clientId;
  if (clientId === undefined || clientId === null || clientId === '') throw new ConnectRefused('not_connectable');
  return clientId;
}

/** The client id and secret for the token request, opened from the vault: the connection's own pair, or the app connector's. */
export async function appCredentialsOf(vault: Vault, setup: ConnectionSetup): Promise<AppCredentials> {
  const { connector, app } = setup;
  if (connector.properties['ClientId'] !== undefined) {
    const secrets = connector.sealedSecretProperties === null ? {} : stringRecordFromJson('secret properties', await vault.open(connector.orgId, connector.sealedSecretProperties, accountConnectorSecretsAad(connector.id)));
    return { clientId: connector.properties['ClientId'], clientSecret: secrets['ClientSecret'] ?? '' };
  }
  const clientSecret = app.sealedClientSecret === null ? '' : await vault.open(app.orgId, app.sealedClientSecret, appConnectorSecretAad(app.id));
  return { clientId: clientIdOf(setup), clientSecret };
}
