import type { Executor } from '../db/database.ts';
import { isForeignKeyViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, InvalidInputError, InvalidInputsError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { isStorableId, newId } from '../lib/ids.ts';
import { checkDisplayName } from '../lib/text-rules.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { publishEvent, type WebhookEventType } from '../webhooks/publish.ts';
import { loadAccount } from './account-admin.ts';
import * as repository from './account-connectors.repository.ts';
import * as appConnectors from './app-connectors.repository.ts';
import { parseAuthValue, type AuthValue } from './auth-value.ts';
import { findProvider } from './catalogue/catalogue.ts';
import { nextRefreshAt } from './refresh/schedule.ts';
import {
  accountConnectorCredentialsAad,
  accountConnectorSecretsAad,
  NO_REFRESH_HISTORY,
  SECRET_PROPERTIES,
  type AccountConnector,
  type AccountConnectorStatus,
  type AppConnector,
} from './connector.ts';
import type { ConnectorOperationContext } from './connector-context.ts';
import { configErrors, propertiesErrors } from './connector-rules.ts';
import { credentialsToJson } from './credentials-codec.ts';
import { stringRecordFromJson } from './json-columns.ts';
import { pageByCreation, type Page, type PageQuery } from './paging.ts';

// The staff operations on account connectors: one account's connection to an app connector, its
// properties (ClientId/ClientSecret for a per-customer app, API keys), config and credentials.
// Secrets are sealed before each transaction opens, bound to the connector's id; a change is a
// conditional write on the row's version, so it never overwrites a refresh or a reconnect that
// landed between its read and its write.

export interface NewAccountConnector {
  readonly appConnectorId: string;
  readonly name?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly config?: Readonly<Record<string, string>>;
  /** The seed's serialized AuthValue. */
  readonly authValue?: string;
}

/** Absent fields stay. Properties merge by name (null removes one); config replaces the stored one whole. */
export interface AccountConnectorChange {
  readonly name?: string;
  readonly properties?: Readonly<Record<string, string | null>>;
  readonly config?: Readonly<Record<string, string>>;
  readonly authValue?: string;
}

interface CheckedFields {
  readonly name: string | undefined;
  readonly authValue: AuthValue | undefined;
}

/** Every rule of the fields that need no store, judged at once. */
export function accountConnectorErrors(fields: AccountConnectorChange): InvalidInputError[] {
  const errors: InvalidInputError[] = [];
  if (fields.name !== undefined) collectInvalid(errors, () => checkDisplayName(fields.name!));
  if (fields.properties !== undefined) errors.push(...propertiesErrors(fields.properties));
  if (fields.authValue !== undefined) collectInvalid(errors, () => parseAuthValue(fields.authValue!));
  return errors;
}

function checkFields(app: AppConnector, fields: AccountConnectorChange, allowHttp: boolean): CheckedFields {
  const errors = accountConnectorErrors(fields);
  const provider = findProvider(app.provider);
  if (fields.config !== undefined && provider !== undefined) errors.push(...configErrors(provider, fields.config, { allowHttp }));
  throwIfInvalid(errors);
  return {
    name: fields.name === undefined ? undefined : checkDisplayName(fields.name),
    authValue: fields.authValue === undefined ? undefined : parseAuthValue(fields.authValue),
  };
}

/**
 * The state an AuthValue gives a connector: imported tokens authenticate it, scheduled for the
 * background refresh by the app's provider (refresh/schedule.ts); "{}" leaves it to authenticate
 * itself. Either starts a new refresh history.
 */
async function applyAuthValue(ctx: ConnectorOperationContext, connector: AccountConnector, app: AppConnector, authValue: AuthValue): Promise<AccountConnector> {
  if (authValue.kind === 'self_authenticate') {
    return { ...connector, ...NO_REFRESH_HISTORY, status: 'unauthenticated', sealedCredentials: null, selfAuthenticate: true, accessExpiresAt: null, refreshExpiresAt: null, nextRefreshAt: null };
  }
  const { credentials } = authValue;
  const provider = findProvider(app.provider);
  const renewable = credentials.refreshToken !== null || provider?.authMode === 'oauth2_client_credentials';
  return {
    ...connector,
    ...NO_REFRESH_HISTORY,
    status: 'authenticated',
    sealedCredentials: await ctx.vault.seal(ctx.org.id, credentialsToJson(credentials), accountConnectorCredentialsAad(connector.id)),
    selfAuthenticate: false,
    accessExpiresAt: credentials.accessExpiresAt,
    refreshExpiresAt: credentials.refreshExpiresAt,
    nextRefreshAt: provider === undefined ? null : nextRefreshAt(provider, { accessExpiresAt: credentials.accessExpiresAt, refreshExpiresAt: credentials.refreshExpiresAt, renewable }, ctx.clock()),
  };
}

/** Splits properties into those kept in clear and the secret ones, which are sealed as one JSON object. */
async function withProperties(ctx: ConnectorOperationContext, connector: AccountConnector, properties: Readonly<Record<string, string>>): Promise<AccountConnector> {
  const clear = Object.fromEntries(Object.entries(properties).filter(([name]) => !SECRET_PROPERTIES.includes(name)));
  const secret = Object.fromEntries(Object.entries(properties).filter(([name]) => SECRET_PROPERTIES.includes(name)));
  const names = Object.keys(secret).sort();
  return {
    ...connector,
    properties: clear,
    secretPropertyNames: names,
    sealedSecretProperties: names.length === 0 ? null : await ctx.vault.seal(ctx.org.id, JSON.stringify(secret), accountConnectorSecretsAad(connector.id)),
  };
}

/** Opens the connector's secret properties (the vault refuses a value that is not this row's). */
export async function openSecretProperties(ctx: ConnectorOperationContext, connector: AccountConnector): Promise<Record<string, string>> {
  if (connector.sealedSecretProperties === null) return {};
  const text = await ctx.vault.open(ctx.org.id, connector.sealedSecretProperties, accountConnectorSecretsAad(connector.id));
  return stringRecordFromJson('secret properties', text);
}

export async function addAccountConnector(ctx: ConnectorOperationContext, accountId: string, input: NewAccountConnector): Promise<AccountConnector> {
  requirePermission(ctx.actor, 'connectors:write');
  await loadAccount(ctx.db, ctx.org.id, accountId);
  const app = await appConnectors.findAppConnector(ctx.db, ctx.org.id, input.appConnectorId);
  if (app === undefined) throw new InvalidInputsError([new InvalidInputError('app_connector_id', 'names no app connector of this organization'), ...accountConnectorErrors(input)]);
  const checked = checkFields(app, input, ctx.allowHttpUrls);
  const now = ctx.clock();
  const blank: AccountConnector = {
    orgId: ctx.org.id,
    id: newId('accountConnector'),
    accountId,
    appConnectorId: app.id,
    name: checked.name ?? app.name,
    status: 'unauthenticated',
    properties: {},
    sealedSecretProperties: null,
    secretPropertyNames: [],
    config: { ...input.config },
    sealedCredentials: null,
    selfAuthenticate: false,
    accessExpiresAt: null,
    refreshExpiresAt: null,
    nextRefreshAt: null,
    lastRefreshedAt: null,
    ...NO_REFRESH_HISTORY,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const withProps = await withProperties(ctx, blank, input.properties ?? {});
  const connector = checked.authValue === undefined ? withProps : await applyAuthValue(ctx, withProps, app, checked.authValue);
  try {
    return await inTransaction(ctx.db, async (trx) => {
      await repository.insertAccountConnector(trx, connector);
      await recordOperation(trx, ctx, {
        action: 'account_connector.created',
        target: { type: 'account_connector', id: connector.id },
        details: { account_id: accountId, app_connector_id: app.id, status: connector.status },
      });
      return connector;
    });
  } catch (error) {
    // The account or the app connector was deleted since they were read.
    if (isForeignKeyViolation(error)) throw new NotFoundError('account', accountId);
    throw error;
  }
}

/** An account's connectors, oldest first; of one status when `status` is given. */
export async function listAccountConnectors(ctx: OperationContext, accountId: string, query: PageQuery & { readonly status?: AccountConnectorStatus }): Promise<Page<AccountConnector>> {
  requirePermission(ctx.actor, 'connectors:read');
  await loadAccount(ctx.db, ctx.org.id, accountId);
  return pageByCreation(query, (page) => repository.listAccountConnectorsPage(ctx.db, ctx.org.id, { accountId, status: query.status }, page));
}

/** The org's connectors of every account, oldest first; of one status when `status` is given (those needing reauthentication, say). */
export async function listOrgAccountConnectors(ctx: OperationContext, query: PageQuery & { readonly status?: AccountConnectorStatus }): Promise<Page<AccountConnector>> {
  requirePermission(ctx.actor, 'connectors:read');
  return pageByCreation(query, (page) => repository.listAccountConnectorsPage(ctx.db, ctx.org.id, { status: query.status }, page));
}

export async function getAccountConnector(ctx: OperationContext, id: string): Promise<AccountConnector> {
  requirePermission(ctx.actor, 'connectors:read');
  return loadAccountConnector(ctx.db, ctx.org.id, id);
}

/** The account connector, or NotFoundError (also for another organization's). */
export async function loadAccountConnector(db: Executor, orgId: string, id: string): Promise<AccountConnector> {
  const connector = isStorableId(id) ? await repository.findAccountConnector(db, orgId, id) : undefined;
  if (connector === undefined) throw new NotFoundError('account connector', id);
  return connector;
}

const AUDITED_FIELDS: ReadonlyArray<readonly [keyof AccountConnectorChange, string]> = [
  ['name', 'name'],
  ['properties', 'properties'],
  ['config', 'config'],
  ['authValue', 'auth_value'],
];

/**
 * Changes a connector. With `expectedVersion` (If-Match), a change that landed since is a
 * StaleVersionError; without, a lost race is retried once on the version now stored. Audited as
 * `account_connector.updated`, naming the fields sent (never their values).
 */
export async function updateAccountConnector(ctx: ConnectorOperationContext, id: string, change: AccountConnectorChange, options: { readonly expectedVersion?: number } = {}): Promise<AccountConnector> {
  requirePermission(ctx.actor, 'connectors:write');
  const fields = AUDITED_FIELDS.flatMap(([key, field]) => (change[key] === undefined ? [] : [field]));
  return retryOnceOnLostRace('the account connector', options.expectedVersion, async () => {
    const current = await loadAccountConnector(ctx.db, ctx.org.id, id);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
      throw new StaleVersionError(`the account connector changed since version ${options.expectedVersion}; read it again`);
    }
    if (fields.length === 0) return current;
    const app = await appConnectors.findAppConnector(ctx.db, ctx.org.id, current.appConnectorId);
    if (app === undefined) throw new NotFoundError('app connector', current.appConnectorId);
    const checked = checkFields(app, change, ctx.allowHttpUrls);
    let next: AccountConnector = {
      ...current,
      name: checked.name ?? current.name,
      config: change.config === undefined ? current.config : { ...change.config },
      version: current.version + 1,
      updatedAt: Math.max(ctx.clock(), current.updatedAt + 1),
    };
    if (change.properties !== undefined) {
      const merged: Record<string, string> = { ...current.properties, ...(await openSecretProperties(ctx, current)) };
      for (const [name, value] of Object.entries(change.properties)) {
        if (value === null) delete merged[name];
        else merged[name] = value;
      }
      next = await withProperties(ctx, next, merged);
      // Its own app credentials changed, which the provider was refusing (invalid_client): tried
      // again at once with the grant it holds, as an app connector's new credentials revive theirs.
      const ownAppCredentials = change.properties['ClientId'] !== undefined || change.properties['ClientSecret'] !== undefined;
      if (ownAppCredentials && current.status === 'needs_reauth' && current.lastRefreshError?.code === 'invalid_client' && current.sealedCredentials !== null) {
        next = { ...next, status: 'authenticated', nextRefreshAt: next.updatedAt };
      }
    }
    if (checked.authValue !== undefined) next = await applyAuthValue(ctx, next, app, checked.authValue);
    return writeChange(ctx, current, next, { action: 'account_connector.updated', details: { fields: fields.join(',') } });
  });
}

/** Drops the connector's credentials: it is unauthenticated until the connect flow or an AuthValue authenticates it again. */
export async function deauthenticateAccountConnector(ctx: ConnectorOperationContext, id: string): Promise<AccountConnector> {
  requirePermission(ctx.actor, 'connectors:write');
  return retryOnceOnLostRace('the account connector', undefined, async () => {
    const current = await loadAccountConnector(ctx.db, ctx.org.id, id);
    const next: AccountConnector = {
      ...current,
      status: 'unauthenticated',
      sealedCredentials: null,
      selfAuthenticate: false,
      accessExpiresAt: null,
      refreshExpiresAt: null,
      nextRefreshAt: null,
      ...NO_REFRESH_HISTORY,
      version: current.version + 1,
      updatedAt: Math.max(ctx.clock(), current.updatedAt + 1),
    };
    return writeChange(ctx, current, next, { action: 'account_connector.deauthenticated', details: { previous_status: current.status }, webhook: 'connector.deauthenticated' });
  });
}

/**
 * Stops the connector's use without dropping its credentials: no credentials are handed out, no
 * connect flow starts, nothing refreshes it, until it is enabled again.
 */
export async function disableAccountConnector(ctx: ConnectorOperationContext, id: string): Promise<AccountConnector> {
  return changeStatus(ctx, id, 'account_connector.disabled', () => 'disabled');
}

/** Ends a disabling: authenticated again when it holds credentials (a refresh tells whether the grant lives), else unauthenticated. */
export async function enableAccountConnector(ctx: ConnectorOperationContext, id: string): Promise<AccountConnector> {
  return changeStatus(ctx, id, 'account_connector.enabled', (current) =>
    current.status !== 'disabled' ? current.status : current.sealedCredentials !== null || current.selfAuthenticate ? 'authenticated' : 'unauthenticated',
  );
}

async function changeStatus(ctx: ConnectorOperationContext, id: string, action: string, statusOf: (current: AccountConnector) => AccountConnectorStatus): Promise<AccountConnector> {
  requirePermission(ctx.actor, 'connectors:write');
  return retryOnceOnLostRace('the account connector', undefined, async () => {
    const current = await loadAccountConnector(ctx.db, ctx.org.id, id);
    const status = statusOf(current);
    if (status === current.status) return current;
    const next: AccountConnector = { ...current, status, version: current.version + 1, updatedAt: Math.max(ctx.clock(), current.updatedAt + 1) };
    return writeChange(ctx, current, next, { action, details: { previous_status: current.status } });
  });
}

async function writeChange(
  ctx: OperationContext,
  current: AccountConnector,
  next: AccountConnector,
  event: { readonly action: string; readonly details: Readonly<Record<string, string>>; readonly webhook?: WebhookEventType },
): Promise<AccountConnector> {
  return inTransaction(ctx.db, async (trx) => {
    if (!(await repository.updateAccountConnector(trx, next, current.version))) {
      if ((await repository.findAccountConnector(trx, ctx.org.id, current.id)) === undefined) throw new NotFoundError('account connector', current.id);
      throw new LostRaceError();
    }
    const details = { ...event.details, status: next.status };
    await recordOperation(trx, ctx, { action: event.action, target: { type: 'account_connector', id: current.id }, details });
    if (event.webhook !== undefined) {
      const data = { account_connector_id: current.id, account_id: current.accountId, app_connector_id: current.appConnectorId, name: next.name, ...details };
      await publishEvent(trx, { orgId: ctx.org.id, type: event.webhook, data, occurredAt: ctx.clock() });
    }
    return next;
  });
}

export async function deleteAccountConnector(ctx: OperationContext, id: string): Promise<void> {
  requirePermission(ctx.actor, 'connectors:write');
  await inTransaction(ctx.db, async (trx) => {
    if (!(await repository.deleteAccountConnector(trx, ctx.org.id, id))) throw new NotFoundError('account connector', id);
    await recordOperation(trx, ctx, { action: 'account_connector.deleted', target: { type: 'account_connector', id } });
  });
}
