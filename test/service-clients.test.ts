import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { gatehouse, onlyJson, storeLine, storeOf } from './helpers/cli.ts';
import { seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// Regression (issue 9 item 13): a service client made as the README said (`--grant
// client_credentials`, or `grant_types: ["client_credentials"]`) got the default scope `openid
// profile email`, which a token for the client itself never carries: every token request
// answered invalid_scope. Such a client is now refused at creation, naming the scope to pass.
describe.each(DIALECTS)('service clients on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let ownerKey: string;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    ownerKey = (await createStaffUser(server.store.storage.db, systemClock, seeded.org.id, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    cliEnv = { ...server.store.env, PUBLIC_URL: server.url };
  });
  afterAll(async () => {
    await server?.close();
  });

  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`acme:${ownerKey}`).toString('base64')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  }

  /** The token request the README shows: `curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials …/token`. */
  async function clientCredentials(clientId: string, secret: string) {
    const response = await fetch(`${server.url}/o/acme/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  }

  async function clientNames(): Promise<string[]> {
    return (await api('GET', '/clients?limit=100')).json.data.map((c: { name: string }) => c.name);
  }

  it('the CLI refuses a client_credentials client without a scope of its own, naming --scope, and creates nothing', async () => {
    for (const scope of [[], ['--scope', 'openid profile email']]) {
      const run = await gatehouse(['client', 'create', '--org', 'acme', '--name', 'No Scope', '--grant', 'client_credentials', ...scope, '--json'], cliEnv);
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(JSON.parse(run.stderr)).toEqual({
        error: 'invalid_input',
        message: '--scope: a client using client_credentials needs a scope of its own, naming what its tokens allow (e.g. "crm.sync"): a token it gets for itself never carries openid, profile, email, address, phone, offline_access',
        ...storeOf(cliEnv),
      });
    }
    const text = await gatehouse(['client', 'create', '--org', 'acme', '--name', 'No Scope', '--grant', 'client_credentials'], cliEnv);
    expect(text.code).toBe(1);
    expect(text.stderr.startsWith(`${storeLine(cliEnv)}gatehouse: --scope: a client using client_credentials needs a scope of its own`)).toBe(true);
    expect(await clientNames()).not.toContain('No Scope');
  });

  it('a service client made with the CLI as the README shows gets a client_credentials token', async () => {
    const created = onlyJson(await gatehouse(['client', 'create', '--org', 'acme', '--name', 'CRM Sync', '--grant', 'client_credentials', '--scope', 'crm.sync', '--json'], cliEnv));
    const result = await clientCredentials(created.client_id as string, created.client_secret as string);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ token_type: 'Bearer', scope: 'crm.sync', expires_in: 3600 });
    expect(result.json.access_token).toEqual(expect.any(String));
  });

  it('the API refuses grant_types ["client_credentials"] without a scope of its own with a 400 naming scope, and takes one with it', async () => {
    for (const scope of [{}, { scope: 'openid profile' }]) {
      const refused = await api('POST', '/clients', { name: 'No Scope', grant_types: ['client_credentials'], ...scope });
      expect(refused.status).toBe(400);
      expect(refused.json.error.code).toBe('validation_failed');
      expect(refused.json.error.fields).toEqual([
        { field: 'scope', message: 'a client using client_credentials needs a scope of its own, naming what its tokens allow (e.g. "crm.sync"): a token it gets for itself never carries openid, profile, email, address, phone, offline_access' },
      ]);
    }
    expect(await clientNames()).not.toContain('No Scope');

    const created = await api('POST', '/clients', { name: 'Reports', grant_types: ['client_credentials'], scope: 'reports:read' });
    expect(created.status).toBe(201);
    const result = await clientCredentials(created.json.client.client_id, created.json.client_secret);
    expect(result).toMatchObject({ status: 200, json: { scope: 'reports:read' } });
  });

  it('an update that adds client_credentials to a client with user scopes only is refused the same way', async () => {
    const web = await api('POST', '/clients', { name: 'Portal', redirect_uris: ['https://portal.example.org/cb'] });
    const clientId = web.json.client.client_id as string;
    const refused = await api('PATCH', `/clients/${clientId}`, { grant_types: ['authorization_code', 'client_credentials'] });
    expect(refused.status).toBe(400);
    expect(refused.json.error.fields.map((f: { field: string }) => f.field)).toEqual(['scope']);
    const both = await api('PATCH', `/clients/${clientId}`, { grant_types: ['authorization_code', 'client_credentials'], scope: 'openid profile portal.admin' });
    expect(both.status).toBe(200);
    expect((await clientCredentials(clientId, web.json.client_secret)).json).toMatchObject({ scope: 'portal.admin' });
  });

  it('RFC 7591 registration of a service client needs a scope of its own too (invalid_client_metadata), and works with one once approved', async () => {
    expect((await api('PUT', '/client-registration', { mode: 'approval' })).status).toBe(200);
    expect((await api('PUT', '/scopes/sync', { description: 'Synchronise records', attributes: [] })).status).toBeLessThan(300);
    const register = async (body: Record<string, unknown>) => {
      const response = await fetch(`${server.url}/o/acme/connect/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, json: (await response.json()) as Record<string, any> };
    };
    const refused = await register({ client_name: 'Outside Sync', grant_types: ['client_credentials'] });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_client_metadata');
    expect(refused.json.error_description).toMatch(/^scope: .*a client using client_credentials needs a scope of its own/);

    const registered = await register({ client_name: 'Outside Sync', grant_types: ['client_credentials'], scope: 'sync' });
    expect(registered.status).toBe(201);
    expect((await api('POST', `/clients/${registered.json.client_id}/approve`)).status).toBe(200);
    expect(await clientCredentials(registered.json.client_id, registered.json.client_secret)).toMatchObject({ status: 200, json: { scope: 'sync' } });
  });
});
