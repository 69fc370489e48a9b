import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { systemClock } from '../src/lib/clock.ts';
import { startOidcUpstream, type OidcUpstream } from './helpers/oidc-upstream.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { BIN } from './helpers/cli.ts';
import { DIALECTS } from './helpers/storage.ts';

// GET /api/v2/account-connectors/{id}/credentials (issue 11) against a real provider: oidc-provider
// with rotating refresh tokens and reuse detection, so that a second refresh of one grant would
// kill it. Tokens come from the upstream and are imported with an AuthValue; the upstream counts
// its token endpoint's calls.

const ACCESS_TOKEN_SECONDS = 5;
const ENV = { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' };

type Json = Record<string, any>;

describe.each(DIALECTS)('account connector credentials on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let upstream: OidcUpstream;
  let server: TestServer;
  let developerKey: string;
  let readOnlyKey: string;
  let appConnectorId: string;
  let accountId: string;
  /** Every answer, to check that no refresh token is ever in one. */
  const answered: string[] = [];
  const refreshTokens: string[] = [];

  beforeAll(async () => {
    upstream = await startOidcUpstream({ accessTokenSeconds: ACCESS_TOKEN_SECONDS });
    server = await startTestServer(dialect, { rootKey, env: ENV });
    const db = server.store.storage.db;
    const orgId = (await createOrganization(db, systemClock, { slug: 'acme' })).id;
    developerKey = (await createStaffUser(db, systemClock, orgId, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    readOnlyKey = (await createStaffUser(db, systemClock, orgId, { email: 'ro@acme.example', role: 'read_only', withApiKey: true })).apiKey!;
    const app = await api(server, 'POST', '/app-connectors', {
      body: { provider: 'openid-connect', name: 'Upstream', client_id: upstream.clients.main.clientId, client_secret: upstream.clients.main.clientSecret, scopes: ['openid'], config: { issuer: upstream.issuer } },
    });
    expect(app.status, JSON.stringify(app.json)).toBe(201);
    appConnectorId = app.json!.id;
    accountId = (await api(server, 'POST', '/accounts', { body: { name: 'Customer' } })).json!.id;
  });
  afterAll(async () => {
    for (const token of refreshTokens) {
      expect(answered.join('\n')).not.toContain(token);
      expect(JSON.stringify(server.logs)).not.toContain(token);
    }
    await server?.close();
    await upstream?.close();
  });

  async function api(target: Pick<TestServer, 'url'>, method: string, path: string, options: { key?: string; body?: unknown } = {}) {
    const response = await fetch(`${target.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`acme:${options.key ?? developerKey}`).toString('base64')}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    answered.push(text);
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as Json) };
  }

  /** An account connector holding a fresh grant's tokens, imported as the seed's AuthValue with the given expiry. */
  async function connectorWithUpstreamTokens(options: { expiresInMs: number; client?: 'main' | 'perCustomer'; properties?: Record<string, string> }) {
    const tokens = await upstream.obtainTokens(upstream.clients[options.client ?? 'main']);
    refreshTokens.push(tokens.refreshToken);
    const created = await api(server, 'POST', `/accounts/${accountId}/connectors`, {
      body: {
        app_connector_id: appConnectorId,
        properties: options.properties,
        auth_value: JSON.stringify({ AccessToken: tokens.accessToken, RefreshToken: tokens.refreshToken, Expires: new Date(Date.now() + options.expiresInMs).toISOString() }),
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    upstream.resetTokenCalls();
    return { id: String(created.json!.id), tokens };
  }

  const credentialsOf = (id: string, target: Pick<TestServer, 'url'> = server, key?: string) => api(target, 'GET', `/account-connectors/${id}/credentials`, { key });

  it('hands out a token that stays valid beyond the margin as it is, without calling the provider, and audits the read', async () => {
    const { id, tokens } = await connectorWithUpstreamTokens({ expiresInMs: 3_600_000 });
    const read = await credentialsOf(id);
    expect(read.status, JSON.stringify(read.json)).toBe(200);
    expect(read.json).toEqual({ auth_mode: 'oauth2', access_token: tokens.accessToken, token_type: 'Bearer', expires_at: expect.any(String), metadata: {} });
    expect(read.headers.get('cache-control')).toBe('no-store');
    expect(upstream.tokenCalls()).toBe(0);
    const events = await server.store.storage.db.selectFrom('audit_events').selectAll().where('action', '=', 'account_connector.credentials_read').where('target_id', '=', id).execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_type).toBe('api_key');
    expect(JSON.parse(events[0]!.details)).toEqual({ auth_mode: 'oauth2', refreshed: false });
    expect(events[0]!.details).not.toContain(tokens.accessToken);
  });

  it('refuses read-only staff: a credential is a secret (connectors:write)', async () => {
    const { id } = await connectorWithUpstreamTokens({ expiresInMs: 3_600_000 });
    const read = await credentialsOf(id, server, readOnlyKey);
    expect(read.status).toBe(403);
    expect(read.json!.error.code).toBe('forbidden');
  });

  it('refreshes an expiring token exactly once for fifty parallel requests, each getting the new token, and stores the rotated refresh token', async () => {
    const { id, tokens } = await connectorWithUpstreamTokens({ expiresInMs: -1_000 });
    const reads = await Promise.all(Array.from({ length: 50 }, () => credentialsOf(id)));
    expect(reads.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(upstream.tokenCalls()).toBe(1);
    const handedOut = new Set(reads.map((r) => r.json!.access_token));
    expect(handedOut.size).toBe(1);
    expect(handedOut.has(tokens.accessToken)).toBe(false);
    // The stored refresh token is the rotated one: the next refresh succeeds (reuse would have killed the grant).
    await server.store.storage.db.updateTable('account_connectors').set({ access_expires_at: Date.now() - 1 }).where('id', '=', id).execute();
    upstream.resetTokenCalls();
    const again = await credentialsOf(id);
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(upstream.tokenCalls()).toBe(1);
    expect(handedOut.has(again.json!.access_token)).toBe(false);
    const audited = await server.store.storage.db.selectFrom('audit_events').select('details').where('action', '=', 'account_connector.credentials_read').where('target_id', '=', id).execute();
    expect(audited).toHaveLength(51);
    expect(audited.filter((e) => JSON.parse(e.details).refreshed === true)).toHaveLength(2);
  });

  // The issue's own words: "spread over two server processes on one PostgreSQL". The second is a
  // real `gatehouse start` in a child process (its own pool, vault, upstream client and event loop),
  // on the same schema and root key; the race is settled in the database or not at all.
  it.runIf(dialect === 'postgres')('refreshes once for fifty requests spread over two server processes on one PostgreSQL', async () => {
    const second = spawn(process.execPath, [BIN, 'start', '--json'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: server.store.env['DATABASE_URL']!,
        GATEHOUSE_SECRET_KEY: rootKey.toString('base64'),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-second-')),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'warn',
        ...ENV,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: second.stdout! }).once('line', resolve);
        second.once('exit', (code) => reject(new Error(`the second server exited (${code})`)));
      });
      const secondUrl = String((JSON.parse(line) as { url: string }).url);
      const { id, tokens } = await connectorWithUpstreamTokens({ expiresInMs: -1_000 });
      const reads = await Promise.all(Array.from({ length: 50 }, (_, i) => credentialsOf(id, i % 2 === 0 ? server : { url: secondUrl })));
      expect(reads.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(upstream.tokenCalls()).toBe(1);
      const handedOut = new Set(reads.map((r) => r.json!.access_token));
      expect(handedOut.size).toBe(1);
      expect(handedOut.has(tokens.accessToken)).toBe(false);
      // Both processes answered, and recorded their reads in the one audit log.
      const audited = await server.store.storage.db.selectFrom('audit_events').select('id').where('action', '=', 'account_connector.credentials_read').where('target_id', '=', id).execute();
      expect(audited).toHaveLength(50);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => (second.exitCode !== null ? resolve(null) : second.once('exit', resolve)));
    }
  });

  it('marks the connector needs_reauth at once on invalid_grant (its refresh token spent elsewhere), answering 409', async () => {
    const { id, tokens } = await connectorWithUpstreamTokens({ expiresInMs: -1_000 });
    // Spent outside the hub: rotation makes the hub's copy a reused token, which revokes the grant.
    expect(await upstream.refreshDirectly(upstream.clients.main, tokens.refreshToken)).toBe(200);
    upstream.resetTokenCalls();
    const read = await credentialsOf(id);
    expect(read.status).toBe(409);
    expect(read.json!.error.code).toBe('connector_needs_reauth');
    expect((await api(server, 'GET', `/account-connectors/${id}`)).json!.status).toBe('needs_reauth');
    // No second call to the provider: the state answers.
    const again = await credentialsOf(id);
    expect(again.json!.error.code).toBe('connector_needs_reauth');
    expect(upstream.tokenCalls()).toBe(1);
  });

  it('answers 503 with Retry-After when the provider is unavailable, changing no status; the next request refreshes', async () => {
    const { id } = await connectorWithUpstreamTokens({ expiresInMs: -1_000 });
    upstream.setUnavailable(7);
    try {
      const read = await credentialsOf(id);
      expect(read.status).toBe(503);
      expect(read.headers.get('retry-after')).toBe('7');
      expect(read.json!.error.code).toBe('upstream_unavailable');
    } finally {
      upstream.setUnavailable(null);
    }
    expect((await api(server, 'GET', `/account-connectors/${id}`)).json!.status).toBe('authenticated');
    const next = await credentialsOf(id);
    expect(next.status, JSON.stringify(next.json)).toBe(200);
    expect(upstream.tokenCalls()).toBe(2);
  });

  it('takes over a lease whose holder died: at once when expired, after waiting when it expires soon', async () => {
    const db = server.store.storage.db;
    const expired = await connectorWithUpstreamTokens({ expiresInMs: -1_000 });
    await db.updateTable('account_connectors').set({ refresh_lease_owner: 'dead-process', refresh_lease_expires_at: Date.now() - 1 }).where('id', '=', expired.id).execute();
    const first = await credentialsOf(expired.id);
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json!.access_token).not.toBe(expired.tokens.accessToken);
    expect(upstream.tokenCalls()).toBe(1);

    const held = await connectorWithUpstreamTokens({ expiresInMs: -1_000 });
    await db.updateTable('account_connectors').set({ refresh_lease_owner: 'dying-process', refresh_lease_expires_at: Date.now() + 700 }).where('id', '=', held.id).execute();
    const started = Date.now();
    const second = await credentialsOf(held.id);
    expect(second.status, JSON.stringify(second.json)).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(upstream.tokenCalls()).toBe(1);
    const row = await db.selectFrom('account_connectors').select(['refresh_lease_owner', 'refresh_lease_expires_at']).where('id', '=', held.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ refresh_lease_owner: null, refresh_lease_expires_at: null });
  });

  it('refreshes with the connection\'s own ClientId and ClientSecret when it has them', async () => {
    const { id } = await connectorWithUpstreamTokens({
      expiresInMs: -1_000,
      client: 'perCustomer',
      properties: { ClientId: upstream.clients.perCustomer.clientId, ClientSecret: upstream.clients.perCustomer.clientSecret },
    });
    const read = await credentialsOf(id);
    expect(read.status, JSON.stringify(read.json)).toBe(200);
    expect(upstream.tokenCalls()).toBe(1);
  });

  it('obtains its own token for a client-credentials provider after AuthValue "{}", then hands it out while fresh', async () => {
    const app = await api(server, 'POST', '/app-connectors', {
      body: { provider: 'oauth2-client-credentials', name: 'Machine', client_id: upstream.clients.main.clientId, client_secret: upstream.clients.main.clientSecret, config: { token_url: `${upstream.issuer}/token` } },
    });
    expect(app.status, JSON.stringify(app.json)).toBe(201);
    const created = await api(server, 'POST', `/accounts/${accountId}/connectors`, { body: { app_connector_id: app.json!.id, auth_value: '{}' } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    upstream.resetTokenCalls();
    const first = await credentialsOf(created.json!.id);
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json).toMatchObject({ auth_mode: 'oauth2_client_credentials', token_type: 'Bearer' });
    const second = await credentialsOf(created.json!.id);
    expect(second.json).toEqual(first.json);
    expect(upstream.tokenCalls()).toBe(1);
    expect((await api(server, 'GET', `/account-connectors/${created.json!.id}`)).json!.status).toBe('authenticated');
  });

  it('marks the connector needs_reauth when the provider refuses the app (invalid_client: a wrong client secret), keeping the provider\'s error (issue 12\'s taxonomy)', async () => {
    const app = await api(server, 'POST', '/app-connectors', {
      body: { provider: 'openid-connect', name: 'Wrong secret', client_id: upstream.clients.main.clientId, client_secret: 'not-the-secret', config: { issuer: upstream.issuer } },
    });
    const tokens = await upstream.obtainTokens(upstream.clients.main);
    refreshTokens.push(tokens.refreshToken);
    const created = await api(server, 'POST', `/accounts/${accountId}/connectors`, {
      body: { app_connector_id: app.json!.id, auth_value: JSON.stringify({ AccessToken: tokens.accessToken, RefreshToken: tokens.refreshToken, Expires: new Date(Date.now() - 1000).toISOString() }) },
    });
    const read = await credentialsOf(created.json!.id);
    expect(read.status).toBe(409);
    expect(read.json!.error.code).toBe('connector_needs_reauth');
    expect(read.json!.error.message).toContain('invalid_client');
    const after = (await api(server, 'GET', `/account-connectors/${created.json!.id}`)).json!;
    expect(after.status).toBe('needs_reauth');
    expect(after.last_refresh_error).toMatchObject({ code: 'invalid_client' });
  });

  it('answers a clear 409 when the stored credentials do not open (altered in the store), not a bare 500, and never quotes them', async () => {
    const { id } = await connectorWithUpstreamTokens({ expiresInMs: 3_600_000 });
    const db = server.store.storage.db;
    const { credentials } = await db.selectFrom('account_connectors').select('credentials').where('id', '=', id).executeTakeFirstOrThrow();
    // Another row's value: a valid ciphertext, sealed for another connector (its associated data).
    const other = await connectorWithUpstreamTokens({ expiresInMs: 3_600_000 });
    const { credentials: foreign } = await db.selectFrom('account_connectors').select('credentials').where('id', '=', other.id).executeTakeFirstOrThrow();
    await db.updateTable('account_connectors').set({ credentials: foreign }).where('id', '=', id).execute();
    const read = await credentialsOf(id);
    expect(read.status).toBe(409);
    expect(read.json!.error.code).toBe('connector_credentials_unreadable');
    expect(read.json!.error.message).toContain('connect the account connector again');
    expect(JSON.stringify(read.json)).not.toContain(foreign!);
    expect(JSON.stringify(read.json)).not.toContain(credentials!);
    // When the token must be refreshed, the connector needs reauthentication: the grant's refresh token is lost.
    await db.updateTable('account_connectors').set({ access_expires_at: Date.now() - 1 }).where('id', '=', id).execute();
    const refreshing = await credentialsOf(id);
    expect(refreshing.status).toBe(409);
    expect(refreshing.json!.error.code).toBe('connector_needs_reauth');
    expect((await api(server, 'GET', `/account-connectors/${id}`)).json).toMatchObject({ status: 'needs_reauth', last_refresh_error: { code: 'credentials_unreadable' } });
  });

  it('hands out an api_key connector\'s key and a basic connector\'s username and password', async () => {
    const keyApp = await api(server, 'POST', '/app-connectors', { body: { provider: 'api-key', name: 'Keyed' } });
    expect(keyApp.status, JSON.stringify(keyApp.json)).toBe(201);
    const keyed = await api(server, 'POST', `/accounts/${accountId}/connectors`, { body: { app_connector_id: keyApp.json!.id, properties: { ApiKey: 'key-Hh73kLs' } } });
    expect((await credentialsOf(keyed.json!.id)).json).toEqual({ auth_mode: 'api_key', api_key: 'key-Hh73kLs' });

    const basicApp = await api(server, 'POST', '/app-connectors', { body: { provider: 'basic', name: 'Basic' } });
    const basic = await api(server, 'POST', `/accounts/${accountId}/connectors`, { body: { app_connector_id: basicApp.json!.id, properties: { Username: 'svc', Password: 'pw-8sKd02' } } });
    expect((await credentialsOf(basic.json!.id)).json).toEqual({ auth_mode: 'basic', username: 'svc', password: 'pw-8sKd02' });

    const missing = await api(server, 'POST', `/accounts/${accountId}/connectors`, { body: { app_connector_id: keyApp.json!.id } });
    const refused = await credentialsOf(missing.json!.id);
    expect(refused.status).toBe(409);
    expect(refused.json!.error.code).toBe('connector_not_authenticated');
  });

  it('refuses a disabled connector with 409, without calling the provider; enabled again, it hands out its token', async () => {
    const { id, tokens } = await connectorWithUpstreamTokens({ expiresInMs: 3_600_000 });
    expect((await api(server, 'POST', `/account-connectors/${id}/disable`)).json).toMatchObject({ status: 'disabled' });
    const refused = await credentialsOf(id);
    expect(refused.status).toBe(409);
    expect(refused.json!.error.code).toBe('connector_not_authenticated');
    expect(upstream.tokenCalls()).toBe(0);
    expect((await api(server, 'POST', `/account-connectors/${id}/enable`)).json).toMatchObject({ status: 'authenticated' });
    const read = await credentialsOf(id);
    expect(read.status, JSON.stringify(read.json)).toBe(200);
    expect(read.json!.access_token).toBe(tokens.accessToken);
  });

  it('refuses an unauthenticated connector with 409 and another id with 404', async () => {
    const created = await api(server, 'POST', `/accounts/${accountId}/connectors`, { body: { app_connector_id: appConnectorId } });
    const read = await credentialsOf(created.json!.id);
    expect(read.status).toBe(409);
    expect(read.json!.error.code).toBe('connector_not_authenticated');
    expect((await credentialsOf('acn_nope')).status).toBe(404);
  });
});
