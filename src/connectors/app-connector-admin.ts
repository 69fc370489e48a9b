import type { Executor } from '../db/database.ts';
import { isForeignKeyViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, ConflictError, InvalidInputError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { isStorableId, newId } from '../lib/ids.ts';
import { checkDisplayName, hasControlCharacters } from '../lib/text-rules.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import * as accountConnectors from './account-connectors.repository.ts';
import * as repository from './app-connectors.repository.ts';
import { findProvider } from './catalogue/catalogue.ts';
import type { Provider } from './catalogue/provider.ts';
import { appConnectorSecretAad, type AppConnector } from './connector.ts';
import type { ConnectorOperationContext } from './connector-context.ts';
import { configErrors, scopesErrors } from './connector-rules.ts';
import { pageByCreation, type Page, type PageQuery } from './paging.ts';

// The staff operations on app connectors: a catalogue provider installed in the org with the
// org's own app credentials. The client secret is sealed by the vault before the transaction
// opens (vault.ts: a first seal may read and write the store) and never returned.

export interface NewAppConnector {
  readonly provider: string;
  readonly name: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Empty or absent: the provider's default scopes. */
  readonly scopes?: readonly string[];
  readonly config?: Readonly<Record<string, string>>;
}

/** Absent fields stay; null removes the client id or secret; scopes and config replace the stored ones whole. */
export interface AppConnectorChange {
  readonly name?: string;
  readonly clientId?: string | null;
  readonly clientSecret?: string | null;
  readonly scopes?: readonly string[];
  readonly config?: Readonly<Record<string, string>>;
}

const MAX_CREDENTIAL_LENGTH = 2000;

function credentialErrors(field: string, value: string | null | undefined): InvalidInputError[] {
  if (value === undefined || value === null) return [];
  return value.length === 0 || value.length > MAX_CREDENTIAL_LENGTH || hasControlCharacters(value)
    ? [new InvalidInputError(field, `must be 1 to ${MAX_CREDENTIAL_LENGTH} characters without control characters`)]
    : [];
}

export function providerOrError(id: string): Provider {
  const provider = findProvider(id);
  if (provider === undefined) throw new InvalidInputError('provider', 'is not a provider of the catalogue (GET /api/v2/connector-providers lists them)');
  return provider;
}

/** Every rule of an app connector's fields, judged at once (the API's 400 names each field broken). */
export function appConnectorErrors(provider: Provider | undefined, fields: AppConnectorChange, options: { readonly allowHttp?: boolean } = {}): InvalidInputError[] {
  const errors: InvalidInputError[] = [];
  if (fields.name !== undefined) collectInvalid(errors, () => checkDisplayName(fields.name!));
  errors.push(...credentialErrors('client_id', fields.clientId), ...credentialErrors('client_secret', fields.clientSecret));
  if (fields.scopes !== undefined) errors.push(...scopesErrors(provider, fields.scopes));
  if (fields.config !== undefined && provider !== undefined) errors.push(...configErrors(provider, fields.config, options));
  return errors;
}

export async function addAppConnector(ctx: ConnectorOperationContext, input: NewAppConnector): Promise<AppConnector> {
  requirePermission(ctx.actor, 'connectors:write');
  const errors: InvalidInputError[] = [];
  const provider = collectInvalid(errors, () => providerOrError(input.provider));
  errors.push(...appConnectorErrors(provider, input, { allowHttp: ctx.allowHttpUrls }));
  throwIfInvalid(errors);
  const id = newId('appConnector');
  const sealedClientSecret = input.clientSecret === undefined ? null : await ctx.vault.seal(ctx.org.id, input.clientSecret, appConnectorSecretAad(id));
  const now = ctx.clock();
  const app: AppConnector = {
    orgId: ctx.org.id,
    id,
    provider: provider!.id,
    name: checkDisplayName(input.name),
    clientId: input.clientId ?? null,
    sealedClientSecret,
    scopes: [...(input.scopes ?? [])],
    config: { ...input.config },
    createdAt: now,
    updatedAt: now,
  };
  return inTransaction(ctx.db, async (trx) => {
    await repository.insertAppConnector(trx, app);
    await recordOperation(trx, ctx, { action: 'app_connector.created', target: { type: 'app_connector', id }, details: { provider: app.provider } });
    return app;
  });
}

export async function listAppConnectors(ctx: OperationContext, query: PageQuery): Promise<Page<AppConnector>> {
  requirePermission(ctx.actor, 'connectors:read');
  return pageByCreation(query, (page) => repository.listAppConnectorsPage(ctx.db, ctx.org.id, page));
}

export async function getAppConnector(ctx: OperationContext, id: string): Promise<AppConnector> {
  requirePermission(ctx.actor, 'connectors:read');
  return loadAppConnector(ctx.db, ctx.org.id, id);
}

/** The app connector, or NotFoundError (also for another organization's). */
export async function loadAppConnector(db: Executor, orgId: string, id: string): Promise<AppConnector> {
  const app = isStorableId(id) ? await repository.findAppConnector(db, orgId, id) : undefined;
  if (app === undefined) throw new NotFoundError('app connector', id);
  return app;
}

/** How the audit log names each field of a change, as the API does. */
const AUDITED_FIELDS: ReadonlyArray<readonly [keyof AppConnectorChange, string]> = [
  ['name', 'name'],
  ['clientId', 'client_id'],
  ['clientSecret', 'client_secret'],
  ['scopes', 'scopes'],
  ['config', 'config'],
];

/**
 * Changes an app connector. With `expectedVersion` (its updatedAt, as the console's form carries
 * it), a change that landed since is a StaleVersionError; the write is conditional on the version
 * read either way (a lost race without an expected version is tried once more on the new one).
 */
export async function updateAppConnector(ctx: ConnectorOperationContext, id: string, change: AppConnectorChange, options: { readonly expectedVersion?: number } = {}): Promise<AppConnector> {
  requirePermission(ctx.actor, 'connectors:write');
  const current = await loadAppConnector(ctx.db, ctx.org.id, id);
  throwIfInvalid(appConnectorErrors(findProvider(current.provider), change, { allowHttp: ctx.allowHttpUrls }));
  const sealedClientSecret =
    change.clientSecret === undefined ? undefined : change.clientSecret === null ? null : await ctx.vault.seal(ctx.org.id, change.clientSecret, appConnectorSecretAad(id));
  const fields = AUDITED_FIELDS.flatMap(([key, field]) => (change[key] === undefined ? [] : [field]));
  return retryOnceOnLostRace('the app connector', options.expectedVersion, () =>
    inTransaction(ctx.db, async (trx) => {
      const app = await loadAppConnector(trx, ctx.org.id, id);
      if (options.expectedVersion !== undefined && options.expectedVersion !== app.updatedAt) throw new StaleVersionError(`the app connector changed since version ${options.expectedVersion}; read it again`);
      if (fields.length === 0) return app;
      const changed: AppConnector = {
        ...app,
        name: change.name === undefined ? app.name : checkDisplayName(change.name),
        clientId: change.clientId === undefined ? app.clientId : change.clientId,
        sealedClientSecret: sealedClientSecret === undefined ? app.sealedClientSecret : sealedClientSecret,
        scopes: change.scopes === undefined ? app.scopes : [...change.scopes],
        config: change.config === undefined ? app.config : { ...change.config },
        updatedAt: Math.max(ctx.clock(), app.updatedAt + 1),
      };
      if (!(await repository.updateAppConnector(trx, changed, app.updatedAt))) throw new LostRaceError();
      // New app credentials may be what the provider was refusing (invalid_client): the connectors it
      // marked needs_reauth for that are tried again, instead of every customer having to reconnect.
      const credentialsChanged = change.clientId !== undefined || change.clientSecret !== undefined;
      const revived = credentialsChanged ? await accountConnectors.reviveRefusedForAppCredentials(trx, ctx.org.id, id, changed.updatedAt) : 0;
      await recordOperation(trx, ctx, { action: 'app_connector.updated', target: { type: 'app_connector', id }, details: { fields: fields.join(','), ...(revived > 0 ? { revived_connectors: revived } : {}) } });
      return changed;
    }),
  );
}

/** Deletes an app connector no account connector uses; one in use is a ConflictError (409). */
export async function deleteAppConnector(ctx: OperationContext, id: string): Promise<void> {
  requirePermission(ctx.actor, 'connectors:write');
  const inUse = new ConflictError('app_connector', `app connector '${id}' is used by account connectors; delete them first`);
  try {
    await inTransaction(ctx.db, async (trx) => {
      if (await repository.isAppConnectorInUse(trx, ctx.org.id, id)) throw inUse;
      if (!(await repository.deleteAppConnector(trx, ctx.org.id, id))) throw new NotFoundError('app connector', id);
      await recordOperation(trx, ctx, { action: 'app_connector.deleted', target: { type: 'app_connector', id } });
    });
  } catch (error) {
    // An account connector added between the check and the delete: the store's RESTRICT says so.
    if (isForeignKeyViolation(error)) throw inUse;
    throw error;
  }
}
