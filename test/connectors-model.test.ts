import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../src/connectors/accounts.repository.ts';
import * as appConnectors from '../src/connectors/app-connectors.repository.ts';
import * as accountConnectors from '../src/connectors/account-connectors.repository.ts';
import { findOrCreateAccountUser } from '../src/connectors/account-users.ts';
import type { AccountConnector, AppConnector } from '../src/connectors/connector.ts';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import { isForeignKeyViolation } from '../src/db/storage-error.ts';
import { InvalidInputError, NotFoundError } from '../src/lib/errors.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// The connector hub's tables (migration 0012) as the store holds them, below the use cases: the
// foreign keys' rules, and the users an account gets on first use.

const T0 = 1_700_000_000_000;
const clock = () => T0;

const appConnector = (orgId: string, id: string): AppConnector => ({
  orgId,
  id,
  provider: 'zendesk',
  name: 'Zendesk',
  clientId: null,
  sealedClientSecret: null,
  scopes: [],
  config: {},
  createdAt: T0,
  updatedAt: T0,
});

const accountConnector = (orgId: string, id: string, accountId: string, appConnectorId: string): AccountConnector => ({
  orgId,
  id,
  accountId,
  appConnectorId,
  name: 'Zendesk',
  status: 'unauthenticated',
  properties: {},
  sealedSecretProperties: null,
  secretPropertyNames: [],
  config: {},
  sealedCredentials: null,
  selfAuthenticate: false,
  accessExpiresAt: null,
  refreshExpiresAt: null,
  nextRefreshAt: null,
  lastRefreshedAt: null,
  lastRefreshError: null,
  refreshAttempts: 0,
  version: 1,
  createdAt: T0,
  updatedAt: T0,
});

describe.each(DIALECTS)('connector hub tables on %s', (dialect) => {
  let store: TestStore;
  let orgId: string;
  let otherOrgId: string;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    orgId = (await createOrganization(store.storage.db, clock, { slug: 'acme' })).id;
    otherOrgId = (await createOrganization(store.storage.db, clock, { slug: 'other' })).id;
  });
  afterAll(async () => {
    await store?.dispose();
  });

  it('refuses to delete an app connector an account connector uses; deleting the account deletes its users and connectors', async () => {
    const db = store.storage.db;
    await accounts.insertAccount(db, { orgId, id: 'cust', name: 'Customer', createdAt: T0, updatedAt: T0 });
    await appConnectors.insertAppConnector(db, appConnector(orgId, 'apc_a'));
    await accountConnectors.insertAccountConnector(db, accountConnector(orgId, 'acn_a', 'cust', 'apc_a'));
    await findOrCreateAccountUser(db, clock, orgId, 'cust', 'ann');

    const refused = await appConnectors.deleteAppConnector(db, orgId, 'apc_a').then(() => undefined, (error: unknown) => error);
    expect(isForeignKeyViolation(refused)).toBe(true);

    expect(await accounts.deleteAccount(db, orgId, 'cust')).toBe(true);
    expect(await accountConnectors.findAccountConnector(db, orgId, 'acn_a')).toBeUndefined();
    expect(await accounts.findAccountUser(db, orgId, 'cust', 'ann')).toBeUndefined();
    expect(await appConnectors.deleteAppConnector(db, orgId, 'apc_a')).toBe(true);
  });

  it('refuses an account connector whose account or app connector is another organization\'s', async () => {
    const db = store.storage.db;
    await accounts.insertAccount(db, { orgId: otherOrgId, id: 'theirs', name: 'Theirs', createdAt: T0, updatedAt: T0 });
    await appConnectors.insertAppConnector(db, appConnector(otherOrgId, 'apc_theirs'));
    await accounts.insertAccount(db, { orgId, id: 'mine', name: 'Mine', createdAt: T0, updatedAt: T0 });
    await appConnectors.insertAppConnector(db, appConnector(orgId, 'apc_mine'));
    for (const [accountId, appId] of [['theirs', 'apc_mine'], ['mine', 'apc_theirs']] as const) {
      const refused = await accountConnectors.insertAccountConnector(db, accountConnector(orgId, `acn_${accountId}`, accountId, appId)).then(() => undefined, (error: unknown) => error);
      expect(isForeignKeyViolation(refused), `${accountId} ${appId}`).toBe(true);
    }
  });

  it('writes an account connector only at the version read', async () => {
    const db = store.storage.db;
    await accounts.insertAccount(db, { orgId, id: 'versioned', name: 'V', createdAt: T0, updatedAt: T0 });
    await appConnectors.insertAppConnector(db, appConnector(orgId, 'apc_v'));
    const first = accountConnector(orgId, 'acn_v', 'versioned', 'apc_v');
    await accountConnectors.insertAccountConnector(db, first);
    expect(await accountConnectors.updateAccountConnector(db, { ...first, name: 'Second', version: 2 }, 1)).toBe(true);
    expect(await accountConnectors.updateAccountConnector(db, { ...first, name: 'Lost', version: 2 }, 1)).toBe(false);
    expect((await accountConnectors.findAccountConnector(db, orgId, 'acn_v'))!.name).toBe('Second');
    // Another org's id finds nothing.
    expect(await accountConnectors.findAccountConnector(db, otherOrgId, 'acn_v')).toBeUndefined();
  });

  it('creates an account\'s user once on first use, whatever the concurrency', async () => {
    const db = store.storage.db;
    await accounts.insertAccount(db, { orgId, id: 'users', name: 'Users', createdAt: T0, updatedAt: T0 });
    const results = await Promise.all(Array.from({ length: 10 }, () => findOrCreateAccountUser(db, clock, orgId, 'users', 'Bob@Example')));
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0]!.user).toMatchObject({ accountId: 'users', username: 'Bob@Example' });
    // Usernames are kept as sent: another case is another user.
    expect((await findOrCreateAccountUser(db, clock, orgId, 'users', 'bob@example')).created).toBe(true);
    expect(await accounts.listAccountUsersPage(db, orgId, 'users', { limit: 10 })).toHaveLength(2);

    await expect(findOrCreateAccountUser(db, clock, orgId, 'nobody', 'bob')).rejects.toBeInstanceOf(NotFoundError);
    await expect(findOrCreateAccountUser(db, clock, otherOrgId, 'users', 'bob')).rejects.toBeInstanceOf(NotFoundError);
    await expect(findOrCreateAccountUser(db, clock, orgId, 'users', '')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(findOrCreateAccountUser(db, clock, orgId, 'users', 'a\u0000b')).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe.each(DIALECTS)('migration 0012_connectors on %s', (dialect) => {
  let store: TestStore | undefined;
  afterAll(async () => {
    await store?.dispose();
  });

  it('goes down and up again', async () => {
    store = await createTestStore(dialect);
    const migrator = migratorFor(store.storage);
    expect((await migrator.migrateTo('0011_vault_data_keys')).error).toBeUndefined();
    await expect(store.storage.db.selectFrom('account_connectors').selectAll().execute()).rejects.toThrowError(/account_connectors/);
    expect((await migrateToLatest(store.storage)).applied).toEqual(['0012_connectors', '0013_connector_refresh_lease', '0014_connector_signin_tokens', '0015_connector_auth_attempts', '0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
    expect(await store.storage.db.selectFrom('account_connectors').selectAll().execute()).toEqual([]);
  });
});
