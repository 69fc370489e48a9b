import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_ROTATION_GRACE_SECONDS } from '../src/clients/client-admin.ts';
import { createClient } from '../src/clients/clients.ts';
import { CLIENT_CACHE_TTL_MS } from '../src/oauth/org-resolver.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, PASSWORD, REDIRECT_URI, seedOrg, type SeededOrg, VERIFIER } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

describe.each(DIALECTS)('clients in the management API on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let ownerKey: string;
  let developerKey: string;
  let supportKey: string;
  let otherOrgKey: string;
  // Time is injected: grace periods and the client cache pass without sleeping.
  let now = Date.now();

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: () => now });
    const db = server.store.storage.db;
    seeded = await seedOrg(db, 'acme');
    ownerKey = (await createStaffUser(db, systemClock, seeded.org.id, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    developerKey = (await createStaffUser(db, systemClock, seeded.org.id, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    supportKey = (await createStaffUser(db, systemClock, seeded.org.id, { email: 'support@acme.example', role: 'support', withApiKey: true })).apiKey!;
    const other = await createOrganization(db, systemClock, { slug: 'other' });
    otherOrgKey = (await createStaffUser(db, systemClock, other.id, { email: 'owner@other.example', role: 'owner', withApiKey: true })).apiKey!;
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (key: string, org = 'acme') => `Basic ${Buffer.from(`${org}:${key}`).toString('base64')}`;

  async function api(method: string, path: string, options: { key?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: basic(options.key ?? developerKey, options.org),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  const webApp = (overrides: Record<string, unknown> = {}) => ({ name: 'Portal', redirect_uris: [REDIRECT_URI], consent_required: false, ...overrides });
  const advancePastClientCache = () => {
    now += CLIENT_CACHE_TTL_MS + 1;
  };

  async function token(body: Record<string, string>, clientId: string, secret: string) {
    const response = await fetch(`${server.url}/o/acme/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  }

  async function codeFlow(clientId: string, secret: string) {
    const params = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid profile', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const callback = await signInThroughPages(new TestBrowser(), `${server.url}/o/acme/authorize?${params}`, server.url, { username: 'alice', password: PASSWORD });
    const code = new URL(callback).searchParams.get('code')!;
    return token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER }, clientId, secret);
  }

  async function auditOf(action: string, targetId: string) {
    return (await api('GET', `/audit?action=${action}&target_id=${targetId}`, { key: ownerKey })).json!.data as Array<Record<string, any>>;
  }

  describe('create and read', () => {
    it('creates a client active at once, shows its secret once, and reads it back with an ETag but no secret', async () => {
      const created = await api('POST', '/clients', { body: webApp({ post_logout_redirect_uris: ['https://app.example.org/bye'], code_ttl_seconds: 30, access_token_format: 'jwt' }) });
      expect(created.status).toBe(201);
      expect(created.json!.client_secret).toMatch(/^gsec_[A-Za-z0-9_-]{43}$/);
      expect(created.json!.client).toMatchObject({
        name: 'Portal',
        client_type: 'confidential',
        status: 'active',
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: ['https://app.example.org/bye'],
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'openid profile email',
        consent_required: false,
        code_ttl_seconds: 30,
        id_token_signed_response_alg: 'ES256',
        access_token_format: 'jwt',
        registration_source: 'staff',
        requester_email: null,
        previous_secret_expires_at: null,
      });
      const clientId = created.json!.client.client_id as string;
      const read = await api('GET', `/clients/${clientId}`, { key: supportKey });
      expect(read.status).toBe(200);
      expect(read.json).toEqual(created.json!.client);
      expect(read.headers.get('etag')).toMatch(/^"v\d+"$/);
      expect(JSON.stringify(read.json)).not.toContain('gsec_');
      expect(await auditOf('client.created', clientId)).toHaveLength(1);
    });

    it('creates a public client without a secret, consent by the org default', async () => {
      const created = await api('POST', '/clients', { body: { name: 'Phone', client_type: 'public', redirect_uris: ['com.example.app:/cb'] } });
      expect(created.status).toBe(201);
      expect(created.json!.client_secret).toBeNull();
      expect(created.json!.client).toMatchObject({ client_type: 'public', consent_required: true });
    });

    it.each([
      ['a fragment', 'https://app.example.org/cb#frag', /has a fragment/],
      ['a wildcard', 'https://*.example.org/cb', /contains a wildcard/],
      ['http on a non-loopback host', 'http://app.example.org/cb', /uses http on a non-loopback host/],
    ])('refuses a redirect URI with %s, naming the field', async (_name, uri, message) => {
      const response = await api('POST', '/clients', { body: webApp({ redirect_uris: [uri] }) });
      expect(response.status).toBe(400);
      expect(response.json!.error.code).toBe('validation_failed');
      expect(response.json!.error.fields).toHaveLength(1);
      expect(response.json!.error.fields[0].field).toBe('redirect_uris');
      expect(response.json!.error.fields[0].message).toMatch(message);
    });

    it('names a bad post-logout redirect URI, unknown fields, and bad grant types', async () => {
      const postLogout = await api('POST', '/clients', { body: webApp({ post_logout_redirect_uris: ['http://evil.example/out'] }) });
      expect(postLogout.json!.error.fields[0].field).toBe('post_logout_redirect_uris');
      const unknown = await api('POST', '/clients', { body: webApp({ colour: 'red', grant_types: ['implicit'] }) });
      expect(unknown.status).toBe(400);
      const fields = (unknown.json!.error.fields as Array<{ field: string }>).map((f) => f.field);
      expect(fields).toContain('colour');
      expect(fields.some((f) => f.startsWith('grant_types'))).toBe(true);
      const publicService = await api('POST', '/clients', { body: { name: 'Bad', client_type: 'public', grant_types: ['client_credentials'] } });
      expect(publicService.json!.error.fields).toEqual([{ field: 'grant_types', message: 'a public client cannot use client_credentials: it has no credentials' }]);
    });

    // Security review of issue 9 item 12: the service-scope rule ran only once every other field
    // was valid, and the route's checks left it (and the defaults of what was left out) unjudged.
    it('names every bad field of a new client at once: unknown, domain, and a service client\'s missing scope', async () => {
      const service = await api('POST', '/clients', { body: { name: '', grant_types: ['client_credentials'] } });
      expect(service.status).toBe(400);
      expect(service.json!.error).toEqual({
        code: 'validation_failed',
        message: 'The request has invalid fields.',
        fields: [
          { field: 'name', message: 'must be 1 to 200 characters' },
          { field: 'scope', message: 'a client using client_credentials needs a scope of its own, naming what its tokens allow (e.g. "crm.sync"): a token it gets for itself never carries openid, profile, email, address, phone, offline_access' },
        ],
      });
      const mixed = await api('POST', '/clients', { body: { bogus: 1, name: 'Sync', grant_types: ['client_credentials'], access_token_format: 'paseto' } });
      expect(mixed.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'access_token_format', message: 'must be one of opaque, jwt' },
        { field: 'scope', message: service.json!.error.fields[1].message },
      ]);
      // What is left out takes its default, judged as createClient judges it: a web client needs a redirect URI.
      // Without a well-formed client type, what any type would refuse.
      const noRedirect = await api('POST', '/clients', { body: { bogus: 1, name: 'Portal', client_type: 'native', redirect_uris: ['com.example.app:/cb'] } });
      expect(noRedirect.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'client_type', message: 'must be one of confidential, public' },
      ]);
      const nativeNoRedirect = await api('POST', '/clients', { body: { bogus: 1, name: 'Portal', client_type: 'native' } });
      expect(nativeNoRedirect.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'client_type', message: 'must be one of confidential, public' },
        { field: 'redirect_uris', message: 'at least one redirect URI is required (only a client_credentials-only service client has none)' },
      ]);
      const webNoRedirect = await api('POST', '/clients', { body: { bogus: 1, name: 'Portal', redirect_uris: ['com.example.app:/cb', 'nope'] } });
      expect(webNoRedirect.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'redirect_uris', message: "'com.example.app:/cb' uses the scheme 'com.example.app'; use https, http on loopback, or (public native clients only) a reverse-domain private-use scheme such as com.example.app" },
        { field: 'redirect_uris', message: "'nope' is not an absolute URI" },
      ]);
      const missing = await api('POST', '/clients', { body: { bogus: 1, name: 'Portal' } });
      expect(missing.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'redirect_uris', message: 'at least one redirect URI is required (only a client_credentials-only service client has none)' },
      ]);
      expect((await api('GET', '/clients?limit=200')).json!.data.filter((c: { name: string }) => ['', 'Sync'].includes(c.name))).toEqual([]);
    });

    it('keeps organizations apart: another org\'s key gets 404 for our client', async () => {
      const created = await api('POST', '/clients', { body: webApp() });
      const clientId = created.json!.client.client_id as string;
      expect((await api('GET', `/clients/${clientId}`, { key: otherOrgKey, org: 'other' })).status).toBe(404);
      expect((await api('DELETE', `/clients/${clientId}`, { key: otherOrgKey, org: 'other' })).status).toBe(404);
      expect((await api('POST', `/clients/${clientId}/suspend`, { key: otherOrgKey, org: 'other' })).status).toBe(404);
      expect((await api('GET', `/clients/${clientId}`)).status).toBe(200);
    });

    it('lets support read clients but not change them', async () => {
      expect((await api('GET', '/clients', { key: supportKey })).status).toBe(200);
      expect((await api('POST', '/clients', { key: supportKey, body: webApp() })).status).toBe(403);
    });
  });

  describe('list', () => {
    it('pages with cursors, oldest first, and filters by status', async () => {
      const fresh = await createOrganization(server.store.storage.db, systemClock, { slug: 'listing' });
      const key = (await createStaffUser(server.store.storage.db, systemClock, fresh.id, { email: 'o@listing.example', role: 'owner', withApiKey: true })).apiKey!;
      const ids: string[] = [];
      for (const name of ['One', 'Two', 'Three']) {
        now += 1;
        ids.push((await api('POST', '/clients', { key, org: 'listing', body: webApp({ name }) })).json!.client.client_id);
      }
      now += 1;
      const pending = await createClient(server.store.storage.db, () => now, fresh.id, {
        name: 'Asked',
        clientType: 'confidential',
        redirectUris: [REDIRECT_URI],
        consentRequired: true,
        registration: { source: 'registration_page', requesterName: 'Ann', requesterEmail: 'ann@example.org', requestReason: 'Events' },
      });
      const first = await api('GET', '/clients?limit=2', { key, org: 'listing' });
      expect(first.json!.data.map((c: { client_id: string }) => c.client_id)).toEqual(ids.slice(0, 2));
      const second = await api('GET', `/clients?limit=2&cursor=${first.json!.next_cursor}`, { key, org: 'listing' });
      expect(second.json!.data.map((c: { client_id: string }) => c.client_id)).toEqual([ids[2], pending.clientId]);
      expect(second.json!.next_cursor).toBeNull();
      const queue = await api('GET', '/clients?status=pending', { key, org: 'listing' });
      expect(queue.json!.data).toHaveLength(1);
      expect(queue.json!.data[0]).toMatchObject({ client_id: pending.clientId, status: 'pending', registration_source: 'registration_page', requester_name: 'Ann', requester_email: 'ann@example.org', request_reason: 'Events' });
      expect((await api('GET', '/clients?cursor=garbage', { key, org: 'listing' })).status).toBe(400);
      expect((await api('GET', '/clients?status=deleted', { key, org: 'listing' })).status).toBe(400);
    });
  });

  describe('update', () => {
    it('changes metadata with If-Match, refuses a stale ETag with 412, and audits the change', async () => {
      const created = await api('POST', '/clients', { body: webApp() });
      const clientId = created.json!.client.client_id as string;
      const etag = (await api('GET', `/clients/${clientId}`)).headers.get('etag')!;
      const updated = await api('PATCH', `/clients/${clientId}`, {
        body: { name: 'Portal 2', redirect_uris: [REDIRECT_URI, 'http://127.0.0.1:8080/cb'], scope: 'openid', consent_required: true, code_ttl_seconds: 60, id_token_signed_response_alg: 'RS256' },
        headers: { 'if-match': etag },
      });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ name: 'Portal 2', redirect_uris: [REDIRECT_URI, 'http://127.0.0.1:8080/cb'], scope: 'openid', consent_required: true, code_ttl_seconds: 60, id_token_signed_response_alg: 'RS256' });
      expect(updated.headers.get('etag')).not.toBe(etag);
      const stale = await api('PATCH', `/clients/${clientId}`, { body: { name: 'Lost update' }, headers: { 'if-match': etag } });
      expect(stale.status).toBe(412);
      expect(stale.json!.error.code).toBe('version_mismatch');
      const backToOrg = await api('PATCH', `/clients/${clientId}`, { body: { code_ttl_seconds: null }, headers: { 'if-match': updated.headers.get('etag')! } });
      expect(backToOrg.json!.code_ttl_seconds).toBeNull();
      const audit = await auditOf('client.updated', clientId);
      expect(audit).toHaveLength(2);
      expect(audit).toContainEqual(
        expect.objectContaining({ actor: expect.objectContaining({ type: 'api_key' }), target: { type: 'client', id: clientId }, details: { fields: 'name,redirect_uris,scope,consent_required,code_ttl_seconds,id_token_signed_response_alg' } }),
      );
    });

    // Regression: an empty PATCH wrote the client anyway (a new ETag, colleagues' If-Match then
    // 412) and recorded a client.updated naming no field.
    it('keeps the version and records nothing for a PATCH that changes nothing', async () => {
      const clientId = (await api('POST', '/clients', { body: webApp() })).json!.client.client_id as string;
      const etag = (await api('GET', `/clients/${clientId}`)).headers.get('etag')!;
      const empty = await api('PATCH', `/clients/${clientId}`, { body: {}, headers: { 'if-match': etag } });
      expect(empty.status).toBe(200);
      expect(empty.headers.get('etag')).toBe(etag);
      expect(await auditOf('client.updated', clientId)).toEqual([]);
      expect((await api('PATCH', `/clients/${clientId}`, { body: { name: 'Portal 3' }, headers: { 'if-match': etag } })).status).toBe(200);
    });

    it('judges the updated client by the same rules as a new one', async () => {
      const clientId = (await api('POST', '/clients', { body: webApp() })).json!.client.client_id as string;
      for (const [uri, message] of [
        ['https://app.example.org/cb#x', /has a fragment/],
        ['https://app.example.org/*', /contains a wildcard/],
        ['http://app.example.org/cb', /non-loopback/],
      ] as const) {
        const response = await api('PATCH', `/clients/${clientId}`, { body: { redirect_uris: [uri] } });
        expect(response.status).toBe(400);
        expect(response.json!.error.fields[0]).toMatchObject({ field: 'redirect_uris', message: expect.stringMatching(message) });
      }
      const empty = await api('PATCH', `/clients/${clientId}`, { body: { redirect_uris: [] } });
      expect(empty.json!.error.fields[0].field).toBe('redirect_uris');
      expect((await api('PATCH', `/clients/${clientId}`, { body: { code_ttl_seconds: 601 } })).json!.error.fields[0].field).toBe('code_ttl_seconds');
      expect((await api('PATCH', `/clients/${clientId}`, { body: { scope: 'bad"scope' } })).json!.error.fields[0].field).toBe('scope');
      expect((await api('PATCH', '/clients/nope', { body: { name: 'x' } })).status).toBe(404);
    });

    // Security review of issue 9 item 12: only POST /clients named the domain's bad fields beside
    // the schema's; PATCH named the unknown field alone.
    it('names every bad field of a change at once: unknown, and what its rules refuse for any client', async () => {
      const created = (await api('POST', '/clients', { body: webApp() })).json!.client as { client_id: string; updated_at: string };
      const bad = await api('PATCH', `/clients/${created.client_id}`, { body: { bogus: 1, name: '', redirect_uris: ['nope'] } });
      expect(bad.status).toBe(400);
      expect(bad.json!.error).toEqual({
        code: 'validation_failed',
        message: 'The request has invalid fields.',
        fields: [
          { field: 'bogus', message: 'is not a known field' },
          { field: 'name', message: 'must be 1 to 200 characters' },
          { field: 'redirect_uris', message: "'nope' is not an absolute URI" },
        ],
      });
      const service = await api('PATCH', `/clients/${created.client_id}`, { body: { bogus: 1, grant_types: ['client_credentials'], redirect_uris: [], scope: 'openid', code_ttl_seconds: 0 } });
      expect(service.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'code_ttl_seconds', message: 'must be a whole number of seconds from 1 to 600' },
      ]);
      // A rule that needs the stored client (its type: a private-use scheme is a public client's) is judged once the body is well formed.
      const native = await api('PATCH', `/clients/${created.client_id}`, { body: { bogus: 1, redirect_uris: ['com.example.app:/cb'] } });
      expect(native.json!.error.fields).toEqual([{ field: 'bogus', message: 'is not a known field' }]);
      const valid = await api('PATCH', `/clients/${created.client_id}`, { body: { name: '', redirect_uris: ['com.example.app:/cb'], grant_types: ['client_credentials'], scope: 'openid' } });
      expect(valid.json!.error.fields).toEqual([
        { field: 'name', message: 'must be 1 to 200 characters' },
        { field: 'redirect_uris', message: "'com.example.app:/cb' uses the scheme 'com.example.app'; use https, http on loopback, or (public native clients only) a reverse-domain private-use scheme such as com.example.app" },
        { field: 'scope', message: 'a client using client_credentials needs a scope of its own, naming what its tokens allow (e.g. "crm.sync"): a token it gets for itself never carries openid, profile, email, address, phone, offline_access' },
      ]);
      expect((await api('GET', `/clients/${created.client_id}`)).json!.updated_at).toBe(created.updated_at);
    });
  });

  describe('lifecycle', () => {
    it('suspends and reactivates an active client; other transitions are 409', async () => {
      const clientId = (await api('POST', '/clients', { body: webApp() })).json!.client.client_id as string;
      const approve = await api('POST', `/clients/${clientId}/approve`);
      expect(approve.status).toBe(409);
      expect(approve.json!.error).toMatchObject({ code: 'conflict', message: 'cannot approve a client that is active; only a pending client can be approved' });
      expect((await api('POST', `/clients/${clientId}/reject`, { body: { reason: 'no' } })).status).toBe(409);
      expect((await api('POST', `/clients/${clientId}/reactivate`)).status).toBe(409);
      const suspended = await api('POST', `/clients/${clientId}/suspend`);
      expect(suspended.status).toBe(200);
      expect(suspended.json!.status).toBe('suspended');
      expect((await api('POST', `/clients/${clientId}/suspend`)).status).toBe(409);
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(409);
      expect((await api('POST', `/clients/${clientId}/reactivate`)).json!.status).toBe('active');
      expect((await auditOf('client.suspended', clientId))[0]!.details).toEqual({ from: 'active', to: 'suspended' });
      expect(await auditOf('client.reactivated', clientId)).toHaveLength(1);
    });

    it('approves or rejects a pending request once; a rejection needs a reason of at most 500 characters', async () => {
      const request = (name: string) =>
        createClient(server.store.storage.db, systemClock, seeded.org.id, {
          name,
          clientType: 'confidential',
          redirectUris: [REDIRECT_URI],
          consentRequired: true,
          registration: { source: 'dynamic', requesterName: null, requesterEmail: 'dev@cool.example', requestReason: null },
        });
      const rejected = await request('Rejected App');
      const noReason = await api('POST', `/clients/${rejected.clientId}/reject`, { body: {} });
      expect(noReason.status).toBe(400);
      expect(noReason.json!.error.fields).toEqual([{ field: 'reason', message: 'is required' }]);
      expect((await api('POST', `/clients/${rejected.clientId}/reject`)).status).toBe(400);
      const tooLong = await api('POST', `/clients/${rejected.clientId}/reject`, { body: { reason: 'x'.repeat(501) } });
      expect(tooLong.json!.error.fields[0].field).toBe('reason');
      const blank = await api('POST', `/clients/${rejected.clientId}/reject`, { body: { reason: '   ' } });
      expect(blank.json!.error.fields).toEqual([{ field: 'reason', message: 'is required: say why, for the requester and the audit log' }]);
      const rejection = await api('POST', `/clients/${rejected.clientId}/reject`, { body: { reason: 'We do not share member data with ad networks.' } });
      expect(rejection.status).toBe(200);
      expect(rejection.json!.status).toBe('rejected');
      for (const action of ['approve', 'reactivate', 'suspend']) expect((await api('POST', `/clients/${rejected.clientId}/${action}`)).status).toBe(409);
      expect((await api('POST', `/clients/${rejected.clientId}/reject`, { body: { reason: 'again' } })).status).toBe(409);
      const [event] = await auditOf('client.rejected', rejected.clientId);
      expect(event).toMatchObject({
        actor: { type: 'api_key' },
        target: { type: 'client', id: rejected.clientId },
        details: { from: 'pending', to: 'rejected', reason: 'We do not share member data with ad networks.', registration_source: 'dynamic', requester_email: 'dev@cool.example' },
      });

      const approved = await request('Approved App');
      const approval = await api('POST', `/clients/${approved.clientId}/approve`);
      expect(approval.json!.status).toBe('active');
      expect((await api('POST', `/clients/${approved.clientId}/approve`)).status).toBe(409);
      expect((await api('POST', `/clients/${approved.clientId}/reject`, { body: { reason: 'too late' } })).status).toBe(409);
      expect((await auditOf('client.approved', approved.clientId))[0]!.details).toEqual({ from: 'pending', to: 'active', registration_source: 'dynamic', requester_email: 'dev@cool.example' });
    });

    // Regression: approve, suspend and reactivate declared no body, so unknown fields passed
    // unchecked (the decision was applied) and a non-string reason was a 500.
    it('takes an optional reason on approve, suspend and reactivate, and refuses unknown fields or a non-string reason', async () => {
      const clientId = (await api('POST', '/clients', { body: webApp() })).json!.client.client_id as string;
      const unknown = await api('POST', `/clients/${clientId}/suspend`, { body: { reason: 'x', force: true } });
      expect(unknown.status).toBe(400);
      expect(unknown.json!.error.fields).toEqual([{ field: 'force', message: 'is not a known field' }]);
      const notText = await api('POST', `/clients/${clientId}/suspend`, { body: { reason: { text: 'x' } } });
      expect(notText.status).toBe(400);
      expect(notText.json!.error.fields.map((f: { field: string }) => f.field)).toEqual(['reason']);
      expect((await api('GET', `/clients/${clientId}`)).json!.status).toBe('active');

      expect((await api('POST', `/clients/${clientId}/suspend`, { body: { reason: 'Leaked its secret in a public repository.' } })).json!.status).toBe('suspended');
      expect((await auditOf('client.suspended', clientId))[0]!.details).toEqual({ from: 'active', to: 'suspended', reason: 'Leaked its secret in a public repository.' });
      expect((await api('POST', `/clients/${clientId}/reactivate`, { body: {} })).json!.status).toBe('active');
    });

    // Regression: the per-process client cache kept a suspended client working for up to 2 s;
    // a change through the API now drops the org's cached copies at once (no clock advance here).
    it('a suspended client gets invalid_client at the token endpoint at once; reactivated, it works again', async () => {
      const created = await api('POST', '/clients', { body: { name: 'Sync', grant_types: ['client_credentials'], scope: 'reports' } });
      const { client_id: clientId } = created.json!.client as { client_id: string };
      const secret = created.json!.client_secret as string;
      const before = await token({ grant_type: 'client_credentials' }, clientId, secret);
      expect(before.status).toBe(200);
      await api('POST', `/clients/${clientId}/suspend`);
      expect(await token({ grant_type: 'client_credentials' }, clientId, secret)).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
      // A kill switch: the token issued before the suspension is revoked too.
      const issued = await server.store.storage.db.selectFrom('access_tokens').select('revoked_at').where('token_hash', '=', hashSecret(before.json.access_token as string)).executeTakeFirstOrThrow();
      expect(issued.revoked_at).not.toBeNull();
      await api('POST', `/clients/${clientId}/reactivate`);
      expect((await token({ grant_type: 'client_credentials' }, clientId, secret)).status).toBe(200);
    });
  });

  describe('delete', () => {
    it('revokes everything issued to the client: codes, tokens, families and consent go with it', async () => {
      const created = await api('POST', '/clients', { body: webApp({ consent_required: true }) });
      const clientId = created.json!.client.client_id as string;
      const secret = created.json!.client_secret as string;
      const tokens = await codeFlow(clientId, secret);
      expect(tokens.status).toBe(200);
      const userinfo = () => fetch(`${server.url}/o/acme/userinfo`, { headers: { authorization: `Bearer ${tokens.json.access_token}` } });
      expect((await userinfo()).status).toBe(200);

      const db = server.store.storage.db;
      const count = async (table: 'authorization_codes' | 'token_families' | 'access_tokens' | 'refresh_tokens' | 'consent_grants') =>
        Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', clientId).executeTakeFirstOrThrow()).n);
      for (const table of ['authorization_codes', 'token_families', 'access_tokens', 'refresh_tokens', 'consent_grants'] as const) expect(await count(table)).toBeGreaterThan(0);

      expect((await api('DELETE', `/clients/${clientId}`)).status).toBe(204);
      for (const table of ['authorization_codes', 'token_families', 'access_tokens', 'refresh_tokens', 'consent_grants'] as const) expect(await count(table)).toBe(0);
      const afterDelete = await userinfo();
      expect(afterDelete.status).toBe(401);
      expect(((await afterDelete.json()) as { error: string }).error).toBe('invalid_token');
      advancePastClientCache();
      expect(await token({ grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token }, clientId, secret)).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
      expect((await api('GET', `/clients/${clientId}`)).status).toBe(404);
      expect((await api('DELETE', `/clients/${clientId}`)).status).toBe(404);
      expect((await auditOf('client.deleted', clientId))[0]!.details).toEqual({ name: 'Portal', status: 'active' });
    });
  });

  describe('secret rotation', () => {
    // Regression: answered 400, though the request is well formed and only the client's type forbids it.
    it('refuses to rotate a public client with 409', async () => {
      const created = await api('POST', '/clients', { body: { name: 'Phone', client_type: 'public', redirect_uris: ['com.example.app:/cb'] } });
      const rotated = await api('POST', `/clients/${created.json!.client.client_id}/rotate-secret`);
      expect(rotated.status).toBe(409);
      expect(rotated.json!.error).toEqual({ code: 'conflict', message: 'a public client has no secret to rotate', fields: [{ field: 'client_id', message: 'a public client has no secret to rotate' }] });
    });

    // Last in this file: it moves the clock a day forward.
    it(`accepts both secrets for ${SECRET_ROTATION_GRACE_SECONDS / 3600} hours after a rotation, then only the new one`, async () => {
      expect(SECRET_ROTATION_GRACE_SECONDS).toBe(24 * 3600);
      const created = await api('POST', '/clients', { body: { name: 'Sync', grant_types: ['client_credentials'], scope: 'reports' } });
      const clientId = created.json!.client.client_id as string;
      const oldSecret = created.json!.client_secret as string;
      expect((await token({ grant_type: 'client_credentials' }, clientId, oldSecret)).status).toBe(200);

      const rotated = await api('POST', `/clients/${clientId}/rotate-secret`);
      expect(rotated.status).toBe(201);
      const newSecret = rotated.json!.client_secret as string;
      expect(newSecret).toMatch(/^gsec_/);
      expect(newSecret).not.toBe(oldSecret);
      expect(rotated.json!.client.previous_secret_expires_at).toBe(new Date(Date.parse(rotated.json!.client.updated_at) + SECRET_ROTATION_GRACE_SECONDS * 1000).toISOString());
      expect((await auditOf('client.secret_rotated', clientId))).toHaveLength(1);
      expect(JSON.stringify(await auditOf('client.secret_rotated', clientId))).not.toContain('gsec_');

      advancePastClientCache();
      expect((await token({ grant_type: 'client_credentials' }, clientId, oldSecret)).status).toBe(200);
      expect((await token({ grant_type: 'client_credentials' }, clientId, newSecret)).status).toBe(200);
      expect(await token({ grant_type: 'client_credentials' }, clientId, 'gsec_wrong')).toMatchObject({ status: 401, json: { error: 'invalid_client' } });

      now += SECRET_ROTATION_GRACE_SECONDS * 1000;
      expect(await token({ grant_type: 'client_credentials' }, clientId, oldSecret)).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
      expect((await token({ grant_type: 'client_credentials' }, clientId, newSecret)).status).toBe(200);

      // A second rotation: the first secret is long gone, the second one gets its own grace.
      const again = await api('POST', `/clients/${clientId}/rotate-secret`);
      const newest = again.json!.client_secret as string;
      advancePastClientCache();
      expect((await token({ grant_type: 'client_credentials' }, clientId, newSecret)).status).toBe(200);
      expect((await token({ grant_type: 'client_credentials' }, clientId, newest)).status).toBe(200);
      expect((await token({ grant_type: 'client_credentials' }, clientId, oldSecret)).status).toBe(401);
    });
  });
});
