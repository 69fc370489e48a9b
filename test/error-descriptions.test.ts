import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, REDIRECT_URI, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/** RFC 6749 §5.2 (and RFC 6750 §3 in the header): error_description is %x20-21 / %x23-5B / %x5D-7E. */
const PROTOCOL_TEXT = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
/** CR/LF, quotes, angle brackets, a backslash and non-ASCII, as an attacker would send them. */
const HOSTILE = 'x"<img src=x>\r\nSet-Cookie: a=b\\\u00e9';

function expectSafe(description: string | null | undefined, sent: readonly string[]): void {
  expect(description).toBeTruthy();
  expect(description).toMatch(PROTOCOL_TEXT);
  for (const value of sent) expect(description).not.toContain(value);
  expect(description).not.toContain('<img');
}

// Regression (issue 9 item 9): request text came back verbatim in error_description (an
// unsupported grant_type with CR/LF, quotes or angle brackets; an unknown prompt value).
describe.each(DIALECTS)('protocol error texts never carry the request on %s', (dialect) => {
  let server: TestServer;
  let issuer: string;
  let app: { clientId: string; clientSecret: string | null };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const seeded = await seedOrg(server.store.storage.db, 'acme');
    app = await seedClient(server.store.storage.db, seeded.org.id);
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  it('token: an unsupported grant_type is named, never echoed', async () => {
    for (const grantType of [HOSTILE, 'implicit"', '<script>alert(1)</script>', 'a\r\nb', 'urn:x\\y']) {
      const response = await post('/token', new URLSearchParams({ grant_type: grantType }).toString(), { authorization: basic(app.clientId, app.clientSecret!) });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('unsupported_grant_type');
      expectSafe(body.error_description, [grantType]);
      expect(body.error_description).toContain('grant_type');
    }
  });

  describe('authorize: errors redirected to the client', () => {
    const base = { response_type: 'code', client_id: '', redirect_uri: REDIRECT_URI, scope: 'openid', state: 's1' };

    async function redirectedError(query: string): Promise<URLSearchParams> {
      const response = await new TestBrowser().request(`${issuer}/authorize?${query}`);
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT_URI);
      return location.searchParams;
    }

    const MALFORMED_SCOPE = 'The scope parameter is malformed.';
    const SCOPE_NOT_ALLOWED = 'The requested scope is not allowed for this application.';

    it.each([
      ['an unsupported response_type', { response_type: HOSTILE }, 'unsupported_response_type', HOSTILE],
      ['an unknown prompt value', { prompt: 'x"<img>' }, 'invalid_request', 'x"<img>'],
      ['a malformed scope (a quote is no scope-token character)', { scope: 'openid "<img>' }, 'invalid_scope', '"<img>', MALFORMED_SCOPE],
      ['a malformed scope (a quote inside a name)', { scope: 'openid adm"in' }, 'invalid_scope', 'adm"in', MALFORMED_SCOPE],
      // RFC 6749 §3.3: `<`, `>`, `/` and `=` are scope-token characters, so this one is well formed
      // and reaches the rule of the client's scopes (the review found `adm"in` never did).
      ['a well-formed scope the client may not have', { scope: 'openid <img/src=x>' }, 'invalid_scope', '<img/src=x>', SCOPE_NOT_ALLOWED],
      ['a well-formed scope the client may not have, plainly named', { scope: 'openid admin' }, 'invalid_scope', 'admin', SCOPE_NOT_ALLOWED],
      ['an unknown response_mode', { response_mode: HOSTILE }, 'invalid_request', HOSTILE],
      ['a malformed max_age', { max_age: HOSTILE }, 'invalid_request', HOSTILE],
      ['a malformed code_challenge', { code_challenge: 'x"<img>', code_challenge_method: 'S256' }, 'invalid_request', 'x"<img>'],
    ])('%s', async (_name, override, error, sent, description?: string) => {
      const params = await redirectedError(new URLSearchParams({ ...base, client_id: app.clientId, ...override }).toString());
      expect(params.get('error')).toBe(error);
      expectSafe(params.get('error_description'), [sent]);
      // Which rule answered: the scope's form or the client's scopes.
      if (description !== undefined) expect(params.get('error_description')).toBe(description);
      expect(params.get('code')).toBeNull();
    });

    it('a repeated parameter of an unknown name', async () => {
      const name = encodeURIComponent('x"<img>\r\n');
      const params = await redirectedError(`${new URLSearchParams({ ...base, client_id: app.clientId })}&${name}=1&${name}=2`);
      expect(params.get('error')).toBe('invalid_request');
      expectSafe(params.get('error_description'), ['x"<img>']);
    });
  });

  it('userinfo, introspection and revocation: bodies and Bearer challenges in the charset, naming nothing sent', async () => {
    const malformed = await fetch(`${issuer}/userinfo`, { headers: { authorization: 'Bearer a"<b>' } });
    expect(malformed.status).toBe(400);
    const challenge = malformed.headers.get('www-authenticate')!;
    const description = /error_description="([^"]*)"$/.exec(challenge)?.[1];
    expectSafe(description, ['a"<b>']);
    expectSafe(((await malformed.json()) as { error_description: string }).error_description, ['a"<b>']);

    const unknown = await fetch(`${issuer}/userinfo`, { headers: { authorization: 'Bearer abc.def' } });
    expect(unknown.status).toBe(401);
    expectSafe(/error_description="([^"]*)"$/.exec(unknown.headers.get('www-authenticate')!)?.[1], ['abc.def']);

    for (const path of ['/introspect', '/revoke']) {
      const badClient = await post(path, 'token=x', { authorization: basic('x"<img>', 'y') });
      expect(badClient.status).toBe(401);
      expectSafe(((await badClient.json()) as { error_description: string }).error_description, ['x"<img>']);
      const repeated = await post(path, `token=a"<img>&token=b`, { authorization: basic(app.clientId, app.clientSecret!) });
      expect(repeated.status).toBe(400);
      expectSafe(((await repeated.json()) as { error_description: string }).error_description, ['a"<img>']);
    }
  });
});

/** A request sent as written: fetch would percent-encode the path's `<`, `>` and `"`, or refuse it. */
function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, method, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

const URL_PAYLOAD = '<img/src=x/onerror=alert(1)>';
/** One path segment, as a route parameter takes it (decoded: `<svg onload=alert(1)>'`). */
const PARAM_PAYLOAD = "<svg%20onload=alert(1)>'";

// Regression (issue 9 item 9, review): the 404 texts quoted the request's path, and the
// management API's not-found texts the id in it, so `GET /o/orga/<img/src=x/onerror=alert(1)>`
// came back in error_description (protocolText keeps `<`, `>` and `'`).
describe.each(DIALECTS)('error texts never carry the request address on %s', (dialect) => {
  let server: TestServer;
  let auth: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const seeded = await seedOrg(server.store.storage.db, 'acme');
    const owner = await createStaffUser(server.store.storage.db, systemClock, seeded.org.id, { email: 'owner@acme.example', role: 'owner', withApiKey: true });
    auth = `Basic ${Buffer.from(`acme:${owner.apiKey!}`).toString('base64')}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a path no route takes: a fixed 404 text, outside and under an organization', async () => {
    for (const path of [`/o/orga/${URL_PAYLOAD}`, `/o/acme/${URL_PAYLOAD}?x=1`, `/${URL_PAYLOAD}`, "/nope'\\"]) {
      const response = await rawRequest(server.url, 'GET', path);
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body)).toEqual({ error: 'not_found', error_description: 'No route matches this method and path.' });
    }
  });

  it('the management API: a fixed 404 text for an unknown route, and not-found texts that never quote the id in the path', async () => {
    const unknown = await rawRequest(server.url, 'GET', `/api/v2/${URL_PAYLOAD}`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ error: { code: 'not_found', message: 'No route matches this method and path; the routes are in /api/v2/openapi.json.' } });
    for (const [method, path, message] of [
      ['GET', `/api/v2/clients/${PARAM_PAYLOAD}`, 'Client not found.'],
      ['GET', `/api/v2/constituents/${PARAM_PAYLOAD}`, 'Constituent not found.'],
      ['GET', `/api/v2/staff/${PARAM_PAYLOAD}`, 'Staff user not found.'],
      ['DELETE', '/api/v2/scopes/patreon', 'Scope not found.'],
    ] as const) {
      const response = await rawRequest(server.url, method, path, { authorization: auth });
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body)).toEqual({ error: { code: 'not_found', message } });
    }
    // A scope name the path gives is judged by its rule, which the answer names instead of the name.
    const badName = await rawRequest(server.url, 'DELETE', `/api/v2/scopes/${PARAM_PAYLOAD}`, { authorization: auth });
    expect(badName.status).toBe(400);
    expect(JSON.parse(badName.body)).toEqual({
      error: {
        code: 'validation_failed',
        message: 'name: must be a scope token (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes) of at most 64 characters',
        fields: [{ field: 'name', message: 'must be a scope token (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes) of at most 64 characters' }],
      },
    });
  });

  // Regression (issue 9 item 9, review): a path whose percent-encoding does not decode never
  // reached our boundary; Fastify answered `"'/o/acme/%zz<img/src=x>' is not a valid url
  // component"` itself, and `'<path>' is exceeding the max param length` for a long segment.
  describe('a path Fastify cannot route: a fixed text in the shape of its transport', () => {
    const MALFORMED = 'The request path is malformed: a percent-encoded sequence in it is not UTF-8.';
    const TOO_LONG = 'The request path has a segment too long for any route.';

    function expectFixedAnswer(response: { status: number; headers: IncomingHttpHeaders; body: string }, status: number): void {
      expect(response.status).toBe(status);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      for (const sent of ['<img', '%zz', 'aaaaaaaaaa']) expect(response.body).not.toContain(sent);
    }

    it('OAuth JSON outside the API and the pages', async () => {
      for (const path of ['/o/acme/%zz<img/src=x>', '/o/acme/token%zz', '/%zz<img>', '/o/ac%zz<img>/token']) {
        const response = await rawRequest(server.url, 'GET', path);
        expectFixedAnswer(response, 400);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request', error_description: MALFORMED });
      }
      const long = await rawRequest(server.url, 'POST', `/o/${'a'.repeat(120)}<img>/token`);
      expectFixedAnswer(long, 414);
      expect(JSON.parse(long.body)).toEqual({ error: 'invalid_request', error_description: TOO_LONG });
    });

    it("the management API's error object under /api", async () => {
      for (const path of ['/api/v2/clients/%zz<img>', '/api/%zz<img>']) {
        const response = await rawRequest(server.url, 'GET', path, { authorization: auth });
        expectFixedAnswer(response, 400);
        expect(JSON.parse(response.body)).toEqual({ error: { code: 'invalid_request', message: MALFORMED } });
      }
      const long = await rawRequest(server.url, 'GET', `/api/v2/clients/${'a'.repeat(120)}<img>`, { authorization: auth });
      expectFixedAnswer(long, 414);
      expect(JSON.parse(long.body)).toEqual({ error: { code: 'invalid_request', message: TOO_LONG } });
    });

    it("an error page where a hosted page's route would be", async () => {
      for (const [path, status] of [
        ['/o/ac%zz<img>/login', 400],
        ['/o/%zz<img>/authorize?client_id=x', 400],
        [`/o/${'a'.repeat(120)}<img>/register`, 414],
      ] as const) {
        const response = await rawRequest(server.url, 'GET', path);
        expectFixedAnswer(response, status);
        expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(response.headers['content-security-policy']).toContain("default-src 'none'");
        expect(response.body).toContain('<title>Invalid request');
        expect(response.body).toContain(status === 400 ? MALFORMED : TOO_LONG);
      }
    });
  });
});
