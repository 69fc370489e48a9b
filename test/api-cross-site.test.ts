import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { seedClient } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/**
 * Issue 9 item 1: a browser that answered the API's Basic challenge sends the cached credentials
 * with a form another site's page posts. These requests carry what such a browser sends.
 */
describe.each(DIALECTS)('cross-site requests to the management API on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let auth: string;
  let ownerKey: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, systemClock, { slug: 'acme', name: 'Acme' })).id;
    ownerKey = (await createStaffUser(db, systemClock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    auth = `Basic ${Buffer.from(`${orgId}:${ownerKey}`).toString('base64')}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** What a page on https://evil.example gets the browser to send with `<form method=post>`. */
  const CROSS_SITE_FORM = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'content-type': 'application/x-www-form-urlencoded' };

  async function send(method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array) {
    const response = await fetch(`${server.url}/api${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }
  const read = async (path: string) => (await send('GET', path, { authorization: auth })).json!;

  async function activeClient(): Promise<string> {
    return (await seedClient(server.store.storage.db, orgId)).clientId;
  }
  async function pendingClient(): Promise<string> {
    const registration = { source: 'registration_page', requesterName: 'Dev', requesterEmail: 'dev@example.org', requestReason: null } as const;
    return (await seedClient(server.store.storage.db, orgId, { registration })).clientId;
  }
  async function staffUser(): Promise<string> {
    return (await createStaffUser(server.store.storage.db, systemClock, orgId, { email: `u${Math.random().toString(36).slice(2)}@acme.example`, role: 'support', withApiKey: true })).userId;
  }

  const attacks = [
    { name: 'suspend', setUp: activeClient, path: (id: string) => `/v2/clients/${id}/suspend`, body: 'reason=x', unchanged: async (id: string) => expect((await read(`/v2/clients/${id}`)).status).toBe('active') },
    { name: 'approve', setUp: pendingClient, path: (id: string) => `/v2/clients/${id}/approve`, body: '', unchanged: async (id: string) => expect((await read(`/v2/clients/${id}`)).status).toBe('pending') },
    {
      name: 'rotate-secret',
      setUp: activeClient,
      path: (id: string) => `/v2/clients/${id}/rotate-secret`,
      body: '',
      unchanged: async (id: string) => expect((await read(`/v2/clients/${id}`)).previous_secret_expires_at).toBeNull(),
    },
    { name: 'disable', setUp: staffUser, path: (id: string) => `/v2/staff/${id}/disable`, body: '', unchanged: async (id: string) => expect((await read(`/v2/staff/${id}`)).status).toBe('active') },
    { name: 'key creation', setUp: staffUser, path: (id: string) => `/v2/staff/${id}/api-keys`, body: 'label=mine', unchanged: async (id: string) => expect((await read(`/v2/staff/${id}/api-keys`)).data).toHaveLength(1) },
  ];

  it.each(attacks)('refuses a cross-site form post with cached Basic credentials: $name', async ({ setUp, path, body, unchanged }) => {
    const id = await setUp();
    const answer = await send('POST', path(id), { ...CROSS_SITE_FORM, authorization: auth }, body);
    expect(answer.status).toBe(403);
    expect(answer.json!.error.code).toBe('cross_site_request');
    expect(answer.json!.error.message).toMatch(/another site/);
    await unchanged(id);
  });

  it.each(attacks)('still takes the same call from curl (no Origin, no body): $name', async ({ setUp, path }) => {
    const id = await setUp();
    expect((await send('POST', path(id), { authorization: auth })).status).toBeOneOf([200, 201]);
  });

  it('refuses by either header alone: Origin (browsers without Fetch Metadata), Sec-Fetch-Site, Origin: null', async () => {
    const json = { authorization: auth, 'content-type': 'application/json' };
    const variants: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `${server.url}.evil.example` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
    ];
    for (const headers of variants) {
      const id = await activeClient();
      const answer = await send('POST', `/v2/clients/${id}/suspend`, { ...json, ...headers }, '{}');
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.json!.error.code).toBe('cross_site_request');
      expect((await read(`/v2/clients/${id}`)).status).toBe('active');
    }
    // PATCH and DELETE too.
    const id = await activeClient();
    expect((await send('PATCH', `/v2/clients/${id}`, { ...json, origin: 'https://evil.example' }, '{"name":"Owned"}')).status).toBe(403);
    expect((await send('DELETE', `/v2/clients/${id}`, { authorization: auth, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await read(`/v2/clients/${id}`)).name).toBe('Test App');
  });

  it('refuses every body a page can send without asking first (form, multipart, text/plain, untyped), even with no Origin, with 415', async () => {
    const multipart = new FormData();
    multipart.set('reason', 'x');
    const multipartRequest = new Request('http://x/', { method: 'POST', body: multipart });
    for (const [headers, body] of [
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'reason=x'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, ''],
      [{ 'content-type': multipartRequest.headers.get('content-type')! }, new Uint8Array(await multipartRequest.arrayBuffer())],
      [{ 'content-type': 'text/plain' }, '{"reason":"x"}'],
      [{}, new TextEncoder().encode('{"reason":"x"}')],
    ] as const) {
      const id = await activeClient();
      const answer = await send('POST', `/v2/clients/${id}/suspend`, { authorization: auth, ...headers }, body);
      expect(answer.status, JSON.stringify(headers)).toBe(415);
      expect(answer.json!.error.code).toBe('unsupported_media_type');
      expect(answer.json!.error.message).toMatch(/Content-Type: application\/json/);
      expect((await read(`/v2/clients/${id}`)).status).toBe('active');
    }
  });

  // Issue 9 item 14: `curl -d '{"name":…}'` without the content type was answered "name is required".
  it('says a JSON body sent as a form is not JSON, instead of naming fields it seemed to lack', async () => {
    const answer = await send('POST', '/v2/clients', { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, '{"name":"Portal","redirect_uris":["https://portal.example.org/cb"]}');
    expect(answer.status).toBe(415);
    expect(answer.json!.error).toEqual({
      code: 'unsupported_media_type',
      message: 'This API takes JSON bodies only: send them with Content-Type: application/json (this request has a application/x-www-form-urlencoded body); send no Content-Type when there is no body.',
    });
  });

  it("takes the organization's own pages (same origin) and what the person typed (Sec-Fetch-Site: none)", async () => {
    const variants: Array<Record<string, string>> = [{ origin: server.url, 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: server.url }];
    for (const headers of variants) {
      const id = await activeClient();
      const answer = await send('POST', `/v2/clients/${id}/suspend`, { authorization: auth, 'content-type': 'application/json; charset=utf-8', ...headers }, '{"reason":"leaked"}');
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(answer.json!.status).toBe('suspended');
    }
  });

  // Security review of issue 9 item 1: cross-site GETs reached authentication, so any page could
  // make its visitors' browsers (an <img>, which sends no credentials) count failures until the API
  // throttled their network, valid keys included. A page cannot read the answer of a GET anyway.
  it('refuses reads a browser sent for a page of another site, before authentication, whatever they carry', async () => {
    const variants: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site', authorization: auth },
    ];
    for (const headers of variants) {
      for (const path of ['/v2/org', '/v2/org?userSessionId=guess', '/v2/clients', '/v2/no-such-route']) {
        const answer = await send('GET', path, headers);
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(answer.json!.error.code).toBe('cross_site_request');
      }
      const head = await fetch(`${server.url}/api/v2/org`, { method: 'HEAD', headers });
      expect(head.status, `HEAD ${JSON.stringify(headers)}`).toBe(403);
    }
  });

  it('lets any site read the OpenAPI document, and curl, the own pages and a typed URL read the rest', async () => {
    const document = await send('GET', '/v2/openapi.json', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(document.status).toBe(200);
    expect(document.json!.openapi).toBe('3.1.0');
    const own: Array<Record<string, string>> = [{}, { 'sec-fetch-site': 'same-origin', origin: server.url }, { 'sec-fetch-site': 'none' }];
    for (const headers of own) {
      expect((await send('GET', '/v2/org', { authorization: auth, ...headers })).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('guards API v1 login and logout alike, while curl logs in with a form and reads with ?userSessionId=', async () => {
    const form = new URLSearchParams({ org_id: 'acme', api_key: ownerKey }).toString();
    const crossSite = await send('POST', '/v1/login', CROSS_SITE_FORM, form);
    expect(crossSite.status).toBe(403);
    expect(crossSite.json!.error.code).toBe('cross_site_request');
    const login = await send('POST', '/v1/login', { 'content-type': 'application/x-www-form-urlencoded' }, form);
    expect(login.status).toBe(200);
    const session = login.json!.userSessionId as string;
    expect((await send('POST', `/v1/logout?userSessionId=${session}`, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // A read from another site's page is refused too (security review of issue 9 item 1), and the session still works.
    const crossSiteRead = await send('GET', `/v2/org?userSessionId=${session}`, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(crossSiteRead.status).toBe(403);
    expect(crossSiteRead.json!.error.code).toBe('cross_site_request');
    expect((await send('GET', `/v2/org?userSessionId=${session}`, {})).status).toBe(200);
    expect((await send('POST', '/v1/logout', { authorization: `Session ${session}` })).status).toBe(204);
    expect((await send('GET', `/v2/org?userSessionId=${session}`, {})).status).toBe(401);
  });
});
