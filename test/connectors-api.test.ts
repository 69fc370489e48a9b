import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountConnectorCredentialsAad, accountConnectorSecretsAad, appConnectorSecretAad } from '../src/connectors/connector.ts';
import { createVault, VaultOpenError, type Vault } from '../src/connectors/vault/vault.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// The connector hub's management API (issue 11, "Gatehouse's own API for it"), through a real
// server on each store: CRUD, secrets that never come back, ids of another org, AuthValue.

const CLIENT_SECRET = 'app-secret-Zq81kdPq0w';
const PER_CUSTOMER_SECRET = 'customer-secret-9XkP2s';
const ACCESS_TOKEN = 'imported-access-7hJk3LmN';
const REFRESH_TOKEN = 'imported-refresh-Qw2Er4Ty';
const SECRETS = [CLIENT_SECRET, PER_CUSTOMER_SECRET, ACCESS_TOKEN, REFRESH_TOKEN];

const authValue = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe.each(DIALECTS)('connector hub in the management API on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let server: TestServer;
  let vault: Vault;
  let orgId: string;
  let developerKey: string;
  let readOnlyKey: string;
  let otherOrgKey: string;
  /** Every body the API answered, to check that no secret is ever in one. */
  const answered: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect, { rootKey });
    const db = server.store.storage.db;
    vault = createVault(db, createSealer(rootKey), systemClock);
    orgId = (await createOrganization(db, systemClock, { slug: 'acme' })).id;
    developerKey = (await createStaffUser(db, systemClock, orgId, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    readOnlyKey = (await createStaffUser(db, systemClock, orgId, { email: 'ro@acme.example', role: 'read_only', withApiKey: true })).apiKey!;
    const other = await createOrganization(db, systemClock, { slug: 'other' });
    otherOrgKey = (await createStaffUser(db, systemClock, other.id, { email: 'owner@other.example', role: 'owner', withApiKey: true })).apiKey!;
  });
  afterAll(async () => {
    // Nothing secret in any answer, nor in any log line.
    for (const secret of SECRETS) {
      expect(answered.join('\n')).not.toContain(secret);
      expect(JSON.stringify(server.logs)).not.toContain(secret);
    }
    await server?.close();
  });

  async function api(method: string, path: string, options: { key?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${options.org ?? 'acme'}:${options.key ?? developerKey}`).toString('base64')}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    answered.push(text);
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  const fieldsOf = (response: { json?: Record<string, any> }) => (response.json!.error.fields as Array<{ field: string; message: string }>).map((f) => f.field);

  async function appConnector(overrides: Record<string, unknown> = {}) {
    const created = await api('POST', '/app-connectors', {
      body: { provider: 'zendesk', name: 'Zendesk', client_id: 'zd-client', client_secret: CLIENT_SECRET, scopes: ['read', 'write'], config: { subdomain: 'acme' }, ...overrides },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return created.json!;
  }

  async function account(id: string, name = 'Customer') {
    const created = await api('POST', '/accounts', { body: { id, name } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return created.json!;
  }

  describe('the provider catalogue', () => {
    it('lists the providers and shows one; an unknown id is 404', async () => {
      const list = await api('GET', '/connector-providers');
      expect(list.status).toBe(200);
      expect(list.json!.data.length).toBeGreaterThanOrEqual(30);
      expect(list.json!.data.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['openid-connect', 'oauth2', 'oauth2-client-credentials', 'api-key', 'basic']));
      const zendesk = await api('GET', '/connector-providers/zendesk');
      expect(zendesk.json).toMatchObject({ id: 'zendesk', auth_mode: 'oauth2', config_fields: [expect.objectContaining({ name: 'subdomain', required: true })] });
      expect((await api('GET', '/connector-providers/nope')).status).toBe(404);
      // Read with connectors:read; nothing of how the hub talks to the provider.
      expect((await api('GET', '/connector-providers', { key: readOnlyKey })).status).toBe(200);
      expect(JSON.stringify(zendesk.json)).not.toMatch(/token_url|client_secret/);
    });
  });

  describe('accounts', () => {
    it('creates under the id given or a generated one, reads, renames, lists by pages and deletes', async () => {
      expect(await account('cust-001', 'First customer')).toMatchObject({ id: 'cust-001', name: 'First customer' });
      const generated = await api('POST', '/accounts', { body: { name: 'Generated' } });
      expect(generated.status).toBe(201);
      expect(generated.json!.id).toMatch(/^act_[a-z2-7]{20}$/);
      await account('cust-003');

      expect((await api('GET', '/accounts/cust-001')).json).toMatchObject({ id: 'cust-001', name: 'First customer' });
      const renamed = await api('PATCH', '/accounts/cust-001', { body: { name: 'Renamed' } });
      expect(renamed.json).toMatchObject({ id: 'cust-001', name: 'Renamed' });

      const first = await api('GET', '/accounts?limit=2');
      expect(first.json!.data).toHaveLength(2);
      const second = await api('GET', `/accounts?limit=2&cursor=${first.json!.next_cursor}`);
      const ids = [...first.json!.data, ...second.json!.data].map((a: { id: string }) => a.id);
      expect(ids).toEqual(expect.arrayContaining(['cust-001', generated.json!.id, 'cust-003']));
      expect(new Set(ids).size).toBe(ids.length);

      expect((await api('DELETE', '/accounts/cust-003')).status).toBe(204);
      expect((await api('GET', '/accounts/cust-003')).status).toBe(404);
      expect((await api('DELETE', '/accounts/cust-003')).status).toBe(404);
    });

    it('refuses a taken id (409), a bad id and a bad name in one 400, and lists no users of a new account', async () => {
      await account('dup-1');
      const taken = await api('POST', '/accounts', { body: { id: 'dup-1', name: 'Again' } });
      expect(taken.status).toBe(409);
      const bad = await api('POST', '/accounts', { body: { id: 'has space', name: '' } });
      expect(bad.status).toBe(400);
      expect(fieldsOf(bad)).toEqual(['id', 'name']);
      const users = await api('GET', '/accounts/dup-1/users');
      expect(users.json).toEqual({ data: [], next_cursor: null });
      expect((await api('GET', '/accounts/nobody/users')).status).toBe(404);
    });

    it('lists the users an account has, oldest first', async () => {
      await account('with-users');
      const db = server.store.storage.db;
      await db
        .insertInto('connector_account_users')
        .values([
          { org_id: orgId, account_id: 'with-users', id: 'acu_1', username: 'ann', created_at: 1 },
          { org_id: orgId, account_id: 'with-users', id: 'acu_2', username: 'bob', created_at: 2 },
        ])
        .execute();
      const users = await api('GET', '/accounts/with-users/users?limit=1');
      expect(users.json!.data).toEqual([{ id: 'acu_1', username: 'ann', created_at: new Date(1).toISOString() }]);
      const next = await api('GET', `/accounts/with-users/users?cursor=${users.json!.next_cursor}`);
      expect(next.json!.data.map((u: { username: string }) => u.username)).toEqual(['bob']);
    });
  });

  describe('app connectors', () => {
    it('installs a provider with the org\'s app credentials, never showing the secret, with the redirect URI to register', async () => {
      const app = await appConnector();
      expect(app).toMatchObject({
        provider: 'zendesk',
        name: 'Zendesk',
        client_id: 'zd-client',
        client_secret_set: true,
        scopes: ['read', 'write'],
        config: { subdomain: 'acme' },
        redirect_uri: `${server.url}/o/acme/connectorauth/callback`,
      });
      expect(app.id).toMatch(/^apc_[a-z2-7]{20}$/);
      expect(app).not.toHaveProperty('client_secret');
      expect((await api('GET', `/app-connectors/${app.id}`)).json).toEqual(app);
      expect((await api('GET', '/app-connectors')).json!.data).toContainEqual(app);

      // Stored sealed, bound to its row.
      const row = await server.store.storage.db.selectFrom('app_connectors').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
      expect(row.client_secret).toMatch(/^v1\.dk_/);
      expect(await vault.open(orgId, row.client_secret!, appConnectorSecretAad(app.id))).toBe(CLIENT_SECRET);
    });

    it('judges provider, config, scopes and credentials, naming every field at fault in one 400', async () => {
      const unknown = await api('POST', '/app-connectors', { body: { provider: 'nope', name: 'X' } });
      expect(unknown.status).toBe(400);
      expect(fieldsOf(unknown)).toEqual(['provider']);
      const bad = await api('POST', '/app-connectors', {
        body: { provider: 'zendesk', name: '', client_secret: 'x\u0001', scopes: ['read write'], config: { subdomain: 'not a label', colour: 'red' } },
      });
      expect(bad.status).toBe(400);
      expect(fieldsOf(bad).sort()).toEqual(['client_secret', 'config.colour', 'config.subdomain', 'name', 'scopes[0]']);
      // The schema's refusals and the domain's together.
      const mixed = await api('POST', '/app-connectors', { body: { provider: 'zendesk', name: 5, config: { subdomain: '-bad-' } } });
      expect(fieldsOf(mixed).sort()).toEqual(['config.subdomain', 'name']);
      // The generic OAuth 2 entry takes its endpoints as config, https only.
      const http = await api('POST', '/app-connectors', { body: { provider: 'oauth2', name: 'Custom', config: { authorization_url: 'http://idp.example/authorize', token_url: 'https://idp.example/token' } } });
      expect(fieldsOf(http)).toEqual(['config.authorization_url']);
    });

    it('changes name, scopes, config and secrets; null removes the secret', async () => {
      const app = await appConnector();
      const changed = await api('PATCH', `/app-connectors/${app.id}`, { body: { name: 'Support desk', scopes: ['read'], config: { subdomain: 'acme2' }, client_secret: null } });
      expect(changed.status).toBe(200);
      expect(changed.json).toMatchObject({ name: 'Support desk', scopes: ['read'], config: { subdomain: 'acme2' }, client_secret_set: false, client_id: 'zd-client' });
      const badConfig = await api('PATCH', `/app-connectors/${app.id}`, { body: { config: { subdomain: 'a.b' } } });
      expect(fieldsOf(badConfig)).toEqual(['config.subdomain']);
      expect((await api('PATCH', `/app-connectors/${app.id}`, { body: { client_secret: CLIENT_SECRET } })).json!.client_secret_set).toBe(true);
    });

    it('cannot be deleted while an account connector uses it (409); can be once that is gone', async () => {
      const app = await appConnector();
      await account('uses-app');
      const connector = await api('POST', '/accounts/uses-app/connectors', { body: { app_connector_id: app.id } });
      expect(connector.status).toBe(201);
      const refused = await api('DELETE', `/app-connectors/${app.id}`);
      expect(refused.status).toBe(409);
      expect(refused.json!.error.code).toBe('conflict');
      expect((await api('DELETE', `/account-connectors/${connector.json!.id}`)).status).toBe(204);
      expect((await api('DELETE', `/app-connectors/${app.id}`)).status).toBe(204);
      expect((await api('GET', `/app-connectors/${app.id}`)).status).toBe(404);
    });
  });

  describe('account connectors', () => {
    it('connects an account with per-customer app credentials and imported tokens: authenticated, nothing secret shown', async () => {
      const app = await appConnector();
      await account('cust-tokens');
      const created = await api('POST', '/accounts/cust-tokens/connectors', {
        body: {
          app_connector_id: app.id,
          name: 'Their Zendesk',
          properties: { ClientId: 'their-client', ClientSecret: PER_CUSTOMER_SECRET },
          config: { subdomain: 'customer' },
          auth_value: authValue({ AccessToken: ACCESS_TOKEN, RefreshToken: REFRESH_TOKEN, Expires: '2030-10-01T00:00:00Z', RefreshExpires: '2031-10-01T00:00:00+01:00' }),
        },
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect(created.json).toMatchObject({
        account_id: 'cust-tokens',
        app_connector_id: app.id,
        name: 'Their Zendesk',
        status: 'authenticated',
        properties: { ClientId: 'their-client' },
        secret_properties: ['ClientSecret'],
        config: { subdomain: 'customer' },
        self_authenticate: false,
        access_expires_at: '2030-10-01T00:00:00.000Z',
        refresh_expires_at: '2031-09-30T23:00:00.000Z',
      });
      const id = created.json!.id as string;
      expect(id).toMatch(/^acn_[a-z2-7]{20}$/);
      expect(created.headers.get('etag')).toBe('"v1"');
      expect((await api('GET', `/account-connectors/${id}`)).json).toEqual(created.json);
      expect((await api('GET', '/accounts/cust-tokens/connectors')).json!.data).toEqual([created.json]);

      const row = await server.store.storage.db.selectFrom('account_connectors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(JSON.parse(await vault.open(orgId, row.credentials!, accountConnectorCredentialsAad(id)))).toMatchObject({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN });
      expect(JSON.parse(await vault.open(orgId, row.secret_properties!, accountConnectorSecretsAad(id)))).toEqual({ ClientSecret: PER_CUSTOMER_SECRET });
      for (const secret of SECRETS) expect(JSON.stringify(row)).not.toContain(secret);
    });

    it('reads AuthValue as the seed writes it, naming the field at fault; "{}" leaves the connector to authenticate itself', async () => {
      const app = await appConnector();
      await account('cust-auth');
      const post = (auth_value: string) => api('POST', '/accounts/cust-auth/connectors', { body: { app_connector_id: app.id, auth_value } });
      const cases: Array<[string, string[]]> = [
        ['not json', ['auth_value']],
        ['"a string"', ['auth_value']],
        ['[]', ['auth_value']],
        [authValue({ RefreshToken: 'r' }), ['auth_value.AccessToken']],
        [authValue({ AccessToken: 42 }), ['auth_value.AccessToken']],
        [authValue({ AccessToken: 'a', Expires: 'tomorrow' }), ['auth_value.Expires']],
        [authValue({ AccessToken: 'a', Expires: '2030-10-01T00:00:00' }), ['auth_value.Expires']],
        [authValue({ AccessToken: 'a', RefreshExpires: '2030-02-31T00:00:00Z', Expiry: 'x' }), ['auth_value.Expiry', 'auth_value.RefreshExpires']],
      ];
      for (const [value, fields] of cases) {
        const refused = await post(value);
        expect(refused.status, value).toBe(400);
        expect(fieldsOf(refused).sort(), value).toEqual(fields);
      }
      expect((await api('GET', '/accounts/cust-auth/connectors')).json!.data).toEqual([]);

      const self = await post('{}');
      expect(self.status).toBe(201);
      expect(self.json).toMatchObject({ status: 'unauthenticated', self_authenticate: true, access_expires_at: null });
      // Imported tokens without expiry: a token that does not expire (or whose expiry is unknown).
      const imported = await api('PATCH', `/account-connectors/${self.json!.id}`, { body: { auth_value: authValue({ AccessToken: ACCESS_TOKEN }) } });
      expect(imported.json).toMatchObject({ status: 'authenticated', self_authenticate: false, access_expires_at: null, refresh_expires_at: null });
    });

    it('merges properties by name (null removes one), replaces config, checks it by the provider, and deauthenticates', async () => {
      const app = await appConnector();
      await account('cust-patch');
      const created = await api('POST', '/accounts/cust-patch/connectors', {
        body: { app_connector_id: app.id, properties: { ClientId: 'c1', ClientSecret: PER_CUSTOMER_SECRET, Region: 'eu' }, auth_value: authValue({ AccessToken: ACCESS_TOKEN }) },
      });
      const id = created.json!.id as string;
      const merged = await api('PATCH', `/account-connectors/${id}`, { body: { properties: { Region: null, ClientId: 'c2' }, config: { subdomain: 'other' } } });
      expect(merged.json).toMatchObject({ properties: { ClientId: 'c2' }, secret_properties: ['ClientSecret'], config: { subdomain: 'other' }, status: 'authenticated' });
      expect(merged.headers.get('etag')).toBe('"v2"');
      const row = await server.store.storage.db.selectFrom('account_connectors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(JSON.parse(await vault.open(orgId, row.secret_properties!, accountConnectorSecretsAad(id)))).toEqual({ ClientSecret: PER_CUSTOMER_SECRET });

      const removed = await api('PATCH', `/account-connectors/${id}`, { body: { properties: { ClientSecret: null } } });
      expect(removed.json!.secret_properties).toEqual([]);
      const bad = await api('PATCH', `/account-connectors/${id}`, { body: { config: { nope: 'x' }, properties: { 'bad name': 'x' }, name: '' } });
      expect(fieldsOf(bad).sort()).toEqual(['config.nope', 'name', 'properties.bad name']);

      const stale = await api('PATCH', `/account-connectors/${id}`, { body: { name: 'Late' }, headers: { 'if-match': '"v1"' } });
      expect(stale.status).toBe(412);

      const out = await api('POST', `/account-connectors/${id}/deauthenticate`);
      expect(out.status).toBe(200);
      expect(out.json).toMatchObject({ status: 'unauthenticated', self_authenticate: false, access_expires_at: null });
      const after = await server.store.storage.db.selectFrom('account_connectors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(after.credentials).toBeNull();
    });

    it('disable keeps the credentials; enable makes it authenticated again (unauthenticated without credentials); both audited', async () => {
      const app = await appConnector();
      await account('cust-disable');
      const created = await api('POST', '/accounts/cust-disable/connectors', { body: { app_connector_id: app.id, auth_value: authValue({ AccessToken: ACCESS_TOKEN }) } });
      const id = created.json!.id as string;
      const disabled = await api('POST', `/account-connectors/${id}/disable`);
      expect(disabled.status).toBe(200);
      expect(disabled.json).toMatchObject({ status: 'disabled' });
      expect((await api('POST', `/account-connectors/${id}/disable`)).json).toMatchObject({ status: 'disabled' });
      // (The credentials endpoint's answers for a disabled and a re-enabled connector: connector-credentials.test.ts.)
      expect((await server.store.storage.db.selectFrom('account_connectors').select('credentials').where('id', '=', id).executeTakeFirstOrThrow()).credentials).not.toBeNull();
      const enabled = await api('POST', `/account-connectors/${id}/enable`);
      expect(enabled.json).toMatchObject({ status: 'authenticated' });

      const bare = (await api('POST', '/accounts/cust-disable/connectors', { body: { app_connector_id: app.id } })).json!.id as string;
      await api('POST', `/account-connectors/${bare}/disable`);
      expect((await api('POST', `/account-connectors/${bare}/enable`)).json).toMatchObject({ status: 'unauthenticated' });
      const actions = await server.store.storage.db.selectFrom('audit_events').select(['action', 'details']).where('target_id', '=', id).where('action', 'in', ['account_connector.disabled', 'account_connector.enabled']).orderBy('occurred_at').execute();
      expect(actions.map((a) => [a.action, JSON.parse(a.details)])).toEqual([
        ['account_connector.disabled', { previous_status: 'authenticated', status: 'disabled' }],
        ['account_connector.enabled', { previous_status: 'disabled', status: 'authenticated' }],
      ]);
    });

    it('names an unknown app connector as a field; an unknown account is 404; deleting the account deletes its connectors', async () => {
      const app = await appConnector();
      await account('cust-gone');
      const unknownApp = await api('POST', '/accounts/cust-gone/connectors', { body: { app_connector_id: 'apc_nope', auth_value: 'x' } });
      expect(fieldsOf(unknownApp)).toEqual(['app_connector_id', 'auth_value']);
      expect((await api('POST', '/accounts/nobody/connectors', { body: { app_connector_id: app.id } })).status).toBe(404);
      expect((await api('GET', '/accounts/nobody/connectors')).status).toBe(404);
      const connector = await api('POST', '/accounts/cust-gone/connectors', { body: { app_connector_id: app.id } });
      expect(connector.json).toMatchObject({ status: 'unauthenticated', name: 'Zendesk' });
      expect((await api('DELETE', '/accounts/cust-gone')).status).toBe(204);
      expect((await api('GET', `/account-connectors/${connector.json!.id}`)).status).toBe(404);
      // The app connector is free again.
      expect((await api('DELETE', `/app-connectors/${app.id}`)).status).toBe(204);
    });

    it('audits every change by field name, never a value', async () => {
      const app = await appConnector();
      await account('cust-audit');
      const created = await api('POST', '/accounts/cust-audit/connectors', { body: { app_connector_id: app.id, properties: { ClientSecret: PER_CUSTOMER_SECRET } } });
      await api('PATCH', `/account-connectors/${created.json!.id}`, { body: { auth_value: authValue({ AccessToken: ACCESS_TOKEN, RefreshToken: REFRESH_TOKEN }) } });
      const events = await server.store.storage.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).where('target_id', '=', created.json!.id).orderBy('occurred_at').execute();
      expect(events.map((e) => [e.action, JSON.parse(e.details)])).toEqual([
        ['account_connector.created', { account_id: 'cust-audit', app_connector_id: app.id, status: 'unauthenticated' }],
        ['account_connector.updated', { fields: 'auth_value', status: 'authenticated' }],
      ]);
      const all = JSON.stringify(await server.store.storage.db.selectFrom('audit_events').selectAll().execute());
      for (const secret of SECRETS) expect(all).not.toContain(secret);
    });
  });

  describe('another organization\'s ids', () => {
    it('are 404 on every route that takes one, and are not changed', async () => {
      const app = await appConnector();
      await account('cust-private');
      const connector = (await api('POST', '/accounts/cust-private/connectors', { body: { app_connector_id: app.id, auth_value: authValue({ AccessToken: ACCESS_TOKEN }) } })).json!;
      const other = { key: otherOrgKey, org: 'other' };
      const attempts: Array<[string, string, unknown?]> = [
        ['GET', '/accounts/cust-private'],
        ['PATCH', '/accounts/cust-private', { name: 'Mine' }],
        ['DELETE', '/accounts/cust-private'],
        ['GET', '/accounts/cust-private/users'],
        ['GET', '/accounts/cust-private/connectors'],
        ['POST', '/accounts/cust-private/connectors', { app_connector_id: app.id }],
        ['GET', `/app-connectors/${app.id}`],
        ['PATCH', `/app-connectors/${app.id}`, { name: 'Mine' }],
        ['DELETE', `/app-connectors/${app.id}`],
        ['GET', `/account-connectors/${connector.id}`],
        ['PATCH', `/account-connectors/${connector.id}`, { name: 'Mine' }],
        ['POST', `/account-connectors/${connector.id}/deauthenticate`],
        ['POST', `/account-connectors/${connector.id}/disable`],
        ['POST', `/account-connectors/${connector.id}/enable`],
        ['DELETE', `/account-connectors/${connector.id}`],
      ];
      for (const [method, path, body] of attempts) {
        expect((await api(method, path, { ...other, body })).status, `${method} ${path}`).toBe(404);
      }
      // Its own account of the same id is its own.
      expect((await api('POST', '/accounts', { ...other, body: { id: 'cust-private', name: 'Theirs' } })).status).toBe(201);
      expect((await api('GET', `/account-connectors/${connector.id}`)).json).toEqual(connector);
      expect((await api('GET', '/accounts/cust-private')).json!.name).toBe('Customer');
    });
  });

  describe('the vault binds each secret to its row and field', () => {
    it('a sealed value copied into another row or column does not open there', async () => {
      const app = await appConnector();
      await account('cust-aad');
      const post = () => api('POST', '/accounts/cust-aad/connectors', { body: { app_connector_id: app.id, properties: { ClientSecret: PER_CUSTOMER_SECRET }, auth_value: authValue({ AccessToken: ACCESS_TOKEN }) } });
      const [a, b] = [(await post()).json!.id as string, (await post()).json!.id as string];
      const db = server.store.storage.db;
      const rowA = await db.selectFrom('account_connectors').selectAll().where('id', '=', a).executeTakeFirstOrThrow();
      await db.updateTable('account_connectors').set({ credentials: rowA.credentials }).where('id', '=', b).execute();
      const rowB = await db.selectFrom('account_connectors').selectAll().where('id', '=', b).executeTakeFirstOrThrow();
      await expect(vault.open(orgId, rowB.credentials!, accountConnectorCredentialsAad(b))).rejects.toBeInstanceOf(VaultOpenError);
      await expect(vault.open(orgId, rowA.credentials!, accountConnectorSecretsAad(a))).rejects.toBeInstanceOf(VaultOpenError);
      const appRow = await db.selectFrom('app_connectors').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
      await expect(vault.open(orgId, appRow.client_secret!, accountConnectorSecretsAad(a))).rejects.toBeInstanceOf(VaultOpenError);
      expect(await vault.open(orgId, rowA.credentials!, accountConnectorCredentialsAad(a))).toContain(ACCESS_TOKEN);
      // And a PATCH that must open the copied secret properties fails rather than use them.
      await db.updateTable('account_connectors').set({ secret_properties: rowA.secret_properties }).where('id', '=', b).execute();
      const patched = await api('PATCH', `/account-connectors/${b}`, { body: { properties: { Region: 'eu' } } });
      expect(patched.status).toBe(500);
    });
  });

  describe('the origins a connect flow may end at', () => {
    it('are set on the org as exact origins, each bad one named by its index', async () => {
      const ownerKey = (await createStaffUser(server.store.storage.db, systemClock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
      const set = await api('PATCH', '/org', { key: ownerKey, body: { connect_target_origins: ['https://app.example.com', 'https://app.example.com:8443', 'http://localhost:3000', 'https://app.example.com'] } });
      expect(set.status, JSON.stringify(set.json)).toBe(200);
      expect(set.json!.settings.connect_target_origins).toEqual(['https://app.example.com', 'https://app.example.com:8443', 'http://localhost:3000']);
      expect((await api('GET', '/org', { key: ownerKey })).json!.settings.connect_target_origins).toEqual(['https://app.example.com', 'https://app.example.com:8443', 'http://localhost:3000']);

      const bad = await api('PATCH', '/org', {
        key: ownerKey,
        body: { connect_target_origins: ['https://ok.example', 'http://app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'HTTPS://APP.example.com', 'https://app.example.com:443', 'https://u:p@app.example.com', '*'] },
      });
      expect(bad.status).toBe(400);
      expect(fieldsOf(bad)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `connect_target_origins[${i}]`));
      expect((await api('PATCH', '/org', { key: ownerKey, body: { connect_target_origins: [] } })).json!.settings.connect_target_origins).toEqual([]);
    });
  });

  describe('permissions', () => {
    it('read_only reads but does not change', async () => {
      expect((await api('GET', '/accounts', { key: readOnlyKey })).status).toBe(200);
      expect((await api('POST', '/accounts', { key: readOnlyKey, body: { name: 'No' } })).status).toBe(403);
      expect((await api('POST', '/app-connectors', { key: readOnlyKey, body: { provider: 'zendesk', name: 'No' } })).status).toBe(403);
    });
  });
});
