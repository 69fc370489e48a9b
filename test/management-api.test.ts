import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { MANAGEMENT_ROUTES } from '../src/management-routes.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { ROLE_PERMISSIONS } from '../src/staff/permissions.ts';
import { STAFF_ROLES, type StaffRole } from '../src/staff/roles.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

interface Caller {
  readonly userId: string;
  readonly key: string;
}

describe.each(DIALECTS)('management API on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let otherOrgId: string;
  const callers = new Map<StaffRole, Caller>();
  let otherOwner: Caller;
  /** What the permission matrix acts on: never one of the callers (disabling it must not lock them out). */
  let target: Caller;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, systemClock, { slug: 'acme', name: 'Acme' })).id;
    otherOrgId = (await createOrganization(db, systemClock, { slug: 'other' })).id;
    for (const role of STAFF_ROLES) {
      const created = await createStaffUser(db, systemClock, orgId, { email: `${role}@acme.example`, role, withApiKey: true });
      callers.set(role, { userId: created.userId, key: created.apiKey! });
    }
    const other = await createStaffUser(db, systemClock, otherOrgId, { email: 'owner@other.example', role: 'owner', withApiKey: true });
    otherOwner = { userId: other.userId, key: other.apiKey! };
    const targetUser = await createStaffUser(db, systemClock, orgId, { email: 'target@acme.example', role: 'support', withApiKey: true });
    target = { userId: targetUser.userId, key: targetUser.apiKey! };
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (org: string, key: string) => `Basic ${Buffer.from(`${org}:${key}`).toString('base64')}`;
  const owner = () => callers.get('owner')!;

  async function api(method: string, path: string, options: { auth?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${server.url}/api${path}`, {
      method,
      headers: {
        ...(options.auth === undefined ? {} : { authorization: options.auth }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  describe('authentication', () => {
    it('takes HTTP Basic with the org ID or the slug as user name and the API key as password', async () => {
      for (const org of [orgId, 'acme']) {
        const response = await api('GET', '/v2/org', { auth: basic(org, owner().key) });
        expect(response.status).toBe(200);
        expect(response.json).toMatchObject({ id: orgId, slug: 'acme', name: 'Acme' });
      }
    });

    it('answers every kind of wrong credential identically: 401 with a Basic challenge', async () => {
      const wrongSecret = owner().key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      const answers = await Promise.all(
        [
          basic('nope', owner().key),
          basic(orgId, wrongSecret),
          basic(orgId, 'gkey_aaaaaaaaaaaa_' + 'a'.repeat(43)),
          basic(otherOrgId, owner().key),
          basic(orgId, 'not-a-key'),
          'Basic !!!',
          'Session',
          'Session nope',
        ].map((auth) => api('GET', '/v2/org', { auth })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Gatehouse API", charset="UTF-8", Session realm="Gatehouse API"');
        expect(answer.json).toEqual({ error: { code: 'unauthorized', message: 'Authentication failed.' } });
      }
    });

    it('opens an API v1 session with the org ID and a key, usable by header or query, until logout', async () => {
      const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ orgId, apiKey: owner().key }) });
      expect(login.status).toBe(200);
      const { userSessionId, expires_at } = (await login.json()) as { userSessionId: string; expires_at: string };
      expect(userSessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
      expect((await api('GET', '/v2/org', { auth: `Session ${userSessionId}` })).status).toBe(200);
      expect((await api('GET', `/v2/org?userSessionId=${userSessionId}`)).status).toBe(200);
      expect((await fetch(`${server.url}/api/v1/logout`, { method: 'POST', headers: { authorization: `Session ${userSessionId}` } })).status).toBe(204);
      expect((await api('GET', '/v2/org', { auth: `Session ${userSessionId}` })).status).toBe(401);
      const failed = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: orgId, api_key: 'gkey_nope' }) });
      expect(failed.status).toBe(401);
    });
  });

  // Regression (issue 9 item 11): the seed's `?userSessionId=` was refused as "not a known field"
  // on every route with a query schema; it worked only where there was none.
  describe('the API v1 session in the query string', () => {
    const withQuery = MANAGEMENT_ROUTES.filter((route) => route.schema.querystring !== undefined);

    async function session(): Promise<string> {
      const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ org_id: 'acme', api_key: owner().key }) });
      return ((await login.json()) as { userSessionId: string }).userSessionId;
    }

    it('is the table of routes with a query schema that is tested', () => {
      expect(withQuery.map((route) => `${route.method} ${route.url}`).sort()).toEqual([
        'GET /account-connectors',
        'GET /accounts',
        'GET /accounts/:account_id/connectors',
        'GET /accounts/:account_id/users',
        'GET /app-connectors',
        'GET /audit',
        'GET /clients',
        'GET /constituents',
        'GET /staff',
        'GET /webhooks',
        'GET /webhooks/:webhook_id/deliveries',
      ]);
    });

    it.each(withQuery.map((route) => [`${route.method} ${route.url}`, route] as const))('is taken by %s in both spellings, with the route\'s own parameters', async (_name, route) => {
      const [id, other] = [await session(), await session()];
      // Routes under an account list that account's items: it must exist (a 409 on the next route is that).
      await api('POST', '/v2/accounts', { auth: basic(orgId, owner().key), body: { id: 'query-account', name: 'Query' } });
      // And the delivery log, that of an endpoint of the org.
      const webhook = route.url.includes(':webhook_id') ? await api('POST', '/v2/webhooks', { auth: basic(orgId, owner().key), body: { url: 'https://hooks.example.com/in' } }) : undefined;
      const url = route.url.replace(':account_id', 'query-account').replace(':webhook_id', String(webhook?.json?.id));
      for (const query of [`userSessionId=${id}`, `limit=1&userSessionId=${id}`, `user_session_id=${other}`, `userSessionId=${other}&user_session_id=${other}`]) {
        const response = await api(route.method, `/v2${url}?${query}`);
        expect(response.status, query).toBe(200);
        expect(response.json!.data.length, query).toBeLessThanOrEqual(query.startsWith('limit=1') ? 1 : 50);
      }
      // Only the session: another unknown field is still named, and the route's own still checked.
      const unknown = await api(route.method, `/v2${url}?userSessionId=${id}&colour=red&limit=0`);
      expect(unknown.status).toBe(400);
      expect(unknown.json!.error.fields).toEqual([
        { field: 'colour', message: 'is not a known field' },
        { field: 'limit', message: 'must be >= 1' },
      ]);
      // The request log shows `userSessionId=***` (the other spelling: fix-logging's redaction list).
      expect(JSON.stringify(server.logs)).not.toContain(id);
    });

    it('refuses two different sessions, and a wrong one, as it refuses any wrong credential', async () => {
      const [a, b] = [await session(), await session()];
      for (const query of [`userSessionId=${a}&user_session_id=${b}`, `userSessionId=${a}&userSessionId=${b}`, 'user_session_id=nope']) {
        const response = await api('GET', `/v2/clients?${query}`);
        expect(response.status, query).toBe(401);
        expect(response.json!.error.code).toBe('unauthorized');
      }
    });
  });

  describe('permissions', () => {
    // Generated from the route table: every route × every role, not a hand-made list.
    const cases = MANAGEMENT_ROUTES.flatMap((route) => STAFF_ROLES.map((role) => ({ route, role, allowed: ROLE_PERMISSIONS[role].includes(route.permission) })));

    it.each(cases.map((c) => [`${c.route.method} ${c.route.url}`, c.role, c.allowed ? 'allowed' : 'denied', c] as const))('%s as %s is %s', async (_name, role, _verdict, c) => {
      const url = c.route.url.replace(':user_id', target.userId).replace(':key_id', 'key_doesnotexist000000000');
      const response = await api(c.route.method, `/v2${url}`, { auth: basic(orgId, callers.get(role)!.key), ...(['GET', 'DELETE', 'HEAD', 'OPTIONS'].includes(c.route.method) ? {} : { body: {} }) });
      if (c.allowed) expect([401, 403]).not.toContain(response.status);
      else {
        expect(response.status).toBe(403);
        // A HEAD's answer has no body: the proxy's marker header says the code instead.
        expect(c.route.method === 'HEAD' ? response.headers.get('gatehouse-proxy-error') : response.json?.error.code).toBe('forbidden');
      }
    });
  });

  describe('staff users and keys', () => {
    it('creates an integration user with a role and a key in one call; the key has exactly the role\'s permissions', async () => {
      const created = await api('POST', '/v2/staff', { auth: basic(orgId, owner().key), body: { email: 'sync@acme.example', role: 'read_only', api_key: true } });
      expect(created.status).toBe(201);
      expect(created.json!.user).toMatchObject({ email: 'sync@acme.example', role: 'read_only', status: 'active', has_password: false });
      const key = created.json!.api_key as string;
      expect((await api('GET', '/v2/org', { auth: basic(orgId, key) })).status).toBe(200);
      expect((await api('PATCH', '/v2/org', { auth: basic(orgId, key), body: { name: 'Hacked' } })).status).toBe(403);
      // A second key, asked for without any body (its body, a label, is optional).
      expect((await api('POST', `/v2/staff/${created.json!.user.id}/api-keys`, { auth: basic(orgId, owner().key) })).status).toBe(201);
      const keys = await api('GET', `/v2/staff/${created.json!.user.id}/api-keys`, { auth: basic(orgId, owner().key) });
      expect(keys.json!.data).toHaveLength(2);
      expect(JSON.stringify(keys.json)).not.toContain(key.slice(18));
    });

    it('rotates a key (the old one stops at once) and revokes keys', async () => {
      const created = await api('POST', '/v2/staff', { auth: basic(orgId, owner().key), body: { email: 'rotate@acme.example', role: 'developer', api_key: true } });
      const oldKey = created.json!.api_key as string;
      const [{ id: keyId }] = (await api('GET', `/v2/staff/${created.json!.user.id}/api-keys`, { auth: basic(orgId, owner().key) })).json!.data;
      const rotated = await api('POST', `/v2/api-keys/${keyId}/rotate`, { auth: basic(orgId, owner().key) });
      expect(rotated.status).toBe(201);
      expect((await api('GET', '/v2/org', { auth: basic(orgId, oldKey) })).status).toBe(401);
      const newKey = rotated.json!.api_key as string;
      expect((await api('GET', '/v2/org', { auth: basic(orgId, newKey) })).status).toBe(200);
      expect((await api('DELETE', `/v2/api-keys/${rotated.json!.key.id}`, { auth: basic(orgId, owner().key) })).status).toBe(204);
      expect((await api('GET', '/v2/org', { auth: basic(orgId, newKey) })).status).toBe(401);
    });

    it('disabling a staff user stops its keys and sessions at once', async () => {
      const created = await api('POST', '/v2/staff', { auth: basic(orgId, owner().key), body: { email: 'leaver@acme.example', role: 'admin', api_key: true } });
      const key = created.json!.api_key as string;
      const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: 'acme', api_key: key }) });
      const { userSessionId } = (await login.json()) as { userSessionId: string };
      expect((await api('POST', `/v2/staff/${created.json!.user.id}/disable`, { auth: basic(orgId, owner().key) })).json!.status).toBe('disabled');
      expect((await api('GET', '/v2/org', { auth: basic(orgId, key) })).status).toBe(401);
      expect((await api('GET', '/v2/org', { auth: `Session ${userSessionId}` })).status).toBe(401);
    });

    it('keeps organizations apart: a key of one org gets 404 for the other\'s records', async () => {
      const auth = basic(orgId, owner().key);
      expect((await api('GET', `/v2/staff/${otherOwner.userId}`, { auth })).status).toBe(404);
      expect((await api('POST', `/v2/staff/${otherOwner.userId}/disable`, { auth })).status).toBe(404);
      const [{ id: otherKeyId }] = (await api('GET', `/v2/staff/${otherOwner.userId}/api-keys`, { auth: basic(otherOrgId, otherOwner.key) })).json!.data;
      expect((await api('DELETE', `/v2/api-keys/${otherKeyId}`, { auth })).status).toBe(404);
      expect((await api('GET', '/v2/org', { auth: basic(otherOrgId, otherOwner.key) })).status).toBe(200);
    });
  });

  describe('validation, concurrency and the audit log', () => {
    it('names each bad or unknown field with 400, and a taken email with 409', async () => {
      const auth = basic(orgId, owner().key);
      const bad = await api('POST', '/v2/staff', { auth, body: { email: 'x@acme.example', role: 'god', colour: 'red' } });
      expect(bad.status).toBe(400);
      expect(bad.json!.error.code).toBe('validation_failed');
      const fields = (bad.json!.error.fields as Array<{ field: string }>).map((f) => f.field);
      expect(fields).toContain('colour');
      expect(fields).toContain('role');
      const invalidEmail = await api('POST', '/v2/staff', { auth, body: { email: 'not-an-email' } });
      expect(invalidEmail.json!.error.fields).toEqual([{ field: 'email', message: "'not-an-email' is not an email address" }]);
      const taken = await api('POST', '/v2/staff', { auth, body: { email: 'OWNER@acme.example' } });
      expect(taken.status).toBe(409);
    });

    // Regression: a value outside a union of literals (role, status, …) was named once per
    // branch as "must be equal to constant", plus "must match a schema in anyOf": six entries
    // for one field, none saying what is allowed.
    it('names a field outside a union once, with what it may be', async () => {
      const auth = basic(orgId, owner().key);
      const bad = await api('POST', '/v2/staff', { auth, body: { email: 'x@acme.example', role: 'god', colour: 'red' } });
      expect(bad.json!.error.fields).toEqual([
        { field: 'colour', message: 'is not a known field' },
        { field: 'role', message: 'must be one of owner, admin, developer, support, read_only' },
      ]);
      const status = await api('GET', '/v2/clients?status=gone', { auth });
      expect(status.json!.error.fields).toEqual([{ field: 'status', message: 'must be one of active, pending, rejected, suspended' }]);
      const ttl = await api('PATCH', '/v2/clients/unknown', { auth, body: { code_ttl_seconds: 'soon' } });
      expect(ttl.json!.error.fields).toEqual([{ field: 'code_ttl_seconds', message: 'must be null or must be integer' }]);
    });

    // Regression (issue 9 item 12): the schema's first kind of problem (the unknown field) hid
    // the domain's (the empty name, the bad redirect URIs), to be found one retry at a time.
    it('names every bad field at once, the schema\'s and the domain rules\' together', async () => {
      const auth = basic(orgId, owner().key);
      const bad = await api('POST', '/v2/clients', { auth, body: { colour: 'red', name: '', redirect_uris: ['http://portal.example.org/cb', 'nope'] } });
      expect(bad.status).toBe(400);
      expect(bad.json!.error).toEqual({
        code: 'validation_failed',
        message: 'The request has invalid fields.',
        fields: [
          { field: 'colour', message: 'is not a known field' },
          { field: 'name', message: 'must be 1 to 200 characters' },
          { field: 'redirect_uris', message: "'http://portal.example.org/cb' uses http on a non-loopback host; use https (http is allowed on 127.0.0.1, [::1] and localhost only)" },
          { field: 'redirect_uris', message: "'nope' is not an absolute URI" },
        ],
      });
      // A field the schema refused is named once, by the schema; a rule needing it is not applied.
      const mistyped = await api('POST', '/v2/clients', { auth, body: { name: ' ', grant_types: ['client_credentials', 'implicit'], redirect_uris: [], code_ttl_seconds: 601 } });
      expect(mistyped.json!.error.fields).toEqual([
        { field: 'grant_types.1', message: 'must be one of authorization_code, refresh_token, client_credentials' },
        { field: 'name', message: 'must be 1 to 200 characters' },
        { field: 'code_ttl_seconds', message: 'must be a whole number of seconds from 1 to 600' },
      ]);
      // A body the schema passes: the domain names all its bad fields too.
      const domain = await api('POST', '/v2/clients', { auth, body: { name: '', redirect_uris: ['https://portal.example.org/cb#x'], scope: 'openid "all"', id_token_signed_response_alg: 'ES256' } });
      expect(domain.json!.error.fields.map((f: { field: string }) => f.field)).toEqual(['name', 'redirect_uris', 'scope']);
      expect((await api('GET', '/v2/clients?limit=200', { auth })).json!.data.filter((c: { name: string }) => c.name === '')).toEqual([]);
    });

    // Security review of issue 9 item 12: only POST /clients judged a refused body by its domain
    // rules too. Every route with a body does now, but those whose body has no rule beyond its schema.
    it('judges every body with domain rules by them beside the schema (checkBody), a new route included', () => {
      const withoutCheck = MANAGEMENT_ROUTES.filter((route) => route.schema.body !== undefined && route.checkBody === undefined).map((route) => `${route.method} ${route.url}`);
      expect(withoutCheck.sort()).toEqual([
        // A reason's length, a mode: nothing the schema does not say.
        'POST /clients/:client_id/approve',
        'POST /clients/:client_id/reactivate',
        'POST /clients/:client_id/reject',
        'POST /clients/:client_id/suspend',
        'PUT /client-registration',
      ]);
    });

    // allErrors judges every item of a list over its maxItems: a 64 KB body of wrong items was
    // answered with one entry per item (megabytes).
    it('names a list over its length once, and at most 50 fields', async () => {
      const auth = basic(orgId, owner().key);
      const long = await api('POST', '/v2/clients', { auth, body: { name: 'Portal', redirect_uris: Array.from({ length: 20_000 }, () => 1) } });
      expect(long.json!.error.fields).toEqual([{ field: 'redirect_uris', message: 'must NOT have more than 50 items' }]);
      const unknown = await api('POST', '/v2/clients', { auth, body: { name: 'Portal', ...Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`f${i}`, 1])) } });
      expect(unknown.status).toBe(400);
      expect(unknown.json!.error.fields).toHaveLength(50);
    });

    // Regression: JSON bodies were coerced by Ajv: {"name": 5} was stored as "5" and
    // "consent_required": 0 read as false. Query strings and path parameters keep coercion.
    it('validates JSON bodies without coercing types, naming each field of a wrong type, while query parameters are still read as numbers', async () => {
      const auth = basic(orgId, owner().key);
      const name = await api('PATCH', '/v2/org', { auth, body: { name: 5, code_ttl_seconds: '30' } });
      expect(name.status).toBe(400);
      expect(name.json!.error.fields).toEqual([
        { field: 'name', message: 'must be string' },
        { field: 'code_ttl_seconds', message: 'must be integer' },
      ]);
      expect((await api('GET', '/v2/org', { auth })).json).toMatchObject({ name: 'Acme' });
      const client = await api('POST', '/v2/clients', { auth, body: { name: 'Portal', redirect_uris: ['https://portal.example.org/cb'], consent_required: 0 } });
      expect(client.status).toBe(400);
      expect(client.json!.error.fields).toEqual([{ field: 'consent_required', message: 'must be boolean' }]);
      const page = await api('GET', '/v2/audit?limit=1', { auth });
      expect(page.status).toBe(200);
      expect(page.json!.data).toHaveLength(1);
    });

    // Regression: a NUL inside a JSON string reached PostgreSQL text columns as a 500.
    it('refuses NUL characters anywhere in a JSON body with 400 naming the field', async () => {
      const auth = basic(orgId, owner().key);
      const staff = await api('POST', '/v2/staff', { auth, body: { email: 'nul@acme.example', name: 'a\u0000b' } });
      expect(staff.status).toBe(400);
      expect(staff.json!.error.fields).toEqual([{ field: 'name', message: 'must not contain NUL characters' }]);
      const org = await api('PATCH', '/v2/org', { auth, body: { name: 'x\u0000' } });
      expect(org.status).toBe(400);
      const query = await api('GET', '/v2/audit?action=%00', { auth: basic(orgId, owner().key) });
      expect(query.json!.error.fields).toEqual([{ field: 'action', message: 'must not contain NUL characters' }]);
      expect((await api('GET', '/v2/staff/stf%00x', { auth: basic(orgId, owner().key) })).status).toBe(400);
    });

    it('refuses an update against a stale ETag with 412, and records changes in the audit log', async () => {
      const auth = basic(orgId, callers.get('admin')!.key);
      const read = await api('GET', '/v2/org', { auth });
      const etag = read.headers.get('etag')!;
      const first = await api('PATCH', '/v2/org', { auth, body: { name: 'Acme Charity', code_ttl_seconds: 30 }, headers: { 'if-match': etag } });
      expect(first.status).toBe(200);
      expect(first.json!.settings.code_ttl_seconds).toBe(30);
      expect(first.headers.get('etag')).not.toBe(etag);
      const stale = await api('PATCH', '/v2/org', { auth, body: { name: 'Lost update' }, headers: { 'if-match': etag } });
      expect(stale.status).toBe(412);
      expect((await api('PATCH', '/v2/org', { auth, body: { code_ttl_seconds: 601 } })).status).toBe(400);
      const audit = await api('GET', '/v2/audit?action=org.updated', { auth });
      expect(audit.json!.data[0]).toMatchObject({ action: 'org.updated', actor: { type: 'api_key' }, target: { type: 'organization', id: orgId } });
      expect(JSON.stringify(audit.json)).not.toContain('gkey_');
    });

    // Regression: an empty PATCH /org wrote the row anyway, so every colleague's ETag went stale
    // (their next If-Match a 412) and the audit log got an org.updated naming no field.
    it('keeps the version and records nothing for a PATCH that changes nothing', async () => {
      const auth = basic(orgId, owner().key);
      const etag = (await api('GET', '/v2/org', { auth })).headers.get('etag')!;
      const events = async () => (await api('GET', '/v2/audit?action=org.updated', { auth })).json!.data.length as number;
      const before = await events();
      const empty = await api('PATCH', '/v2/org', { auth, body: {}, headers: { 'if-match': etag } });
      expect(empty.status).toBe(200);
      expect(empty.headers.get('etag')).toBe(etag);
      expect(await events()).toBe(before);
      expect((await api('PATCH', '/v2/org', { auth, body: { name: 'Acme' }, headers: { 'if-match': etag } })).status).toBe(200);
    });

    it('pages the audit log with cursors', async () => {
      const auth = basic(orgId, owner().key);
      const first = await api('GET', '/v2/audit?limit=2', { auth });
      expect(first.json!.data).toHaveLength(2);
      const second = await api('GET', `/v2/audit?limit=2&cursor=${first.json!.next_cursor}`, { auth });
      expect(second.json!.data[0].id).not.toBe(first.json!.data[0].id);
      expect((await api('GET', '/v2/audit?cursor=garbage', { auth })).status).toBe(400);
    });
  });

  it('publishes a valid OpenAPI 3.1 document describing exactly the routes of the table', async () => {
    const response = await fetch(`${server.url}/api/v2/openapi.json`);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    await validate(structuredClone(document) as never);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    // A trailing `*` (the API proxy's path) is the parameter `{*}` in the document.
    const routes = [...MANAGEMENT_ROUTES.map((r) => `${r.method} /api/v2${r.url.replace(/:([a-z_]+)/g, '{$1}').replace(/\*$/, '{*}')}`), 'POST /api/v1/login', 'POST /api/v1/logout'];
    expect(documented.sort()).toEqual(routes.sort());
  });
});
