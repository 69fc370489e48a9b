import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startOidcUpstream, type OidcUpstream } from './helpers/oidc-upstream.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// ANY /api/v2/account-connectors/{id}/proxy/{path} (issue 12) against a resource server of the
// test's own that takes only tokens the oidc-provider upstream issued (it asks the upstream's
// userinfo endpoint), an API key or Basic credentials, and echoes what it received.

const ENV = { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' };
const API_KEY = `key_${randomBytes(16).toString('hex')}`;
const MiB = 1024 * 1024;

type Json = Record<string, any>;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The connection broke before the whole body arrived. */
  readonly cut: boolean;
  json(): Json;
}

/** The byte at offset i of the resource server's generated bodies. */
const patternBody = (bytes: number): Buffer => Buffer.from(Array.from({ length: bytes }, (_, i) => i % 251));
/** What /v1/big sends: the pattern again in every 64 KiB chunk. */
const bigBody = (bytes: number): Buffer => Buffer.concat(Array.from({ length: Math.ceil(bytes / 65536) }, (_, i) => patternBody(Math.min(65536, bytes - i * 65536))));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface ResourceServer {
  readonly url: string;
  /** Requests that reached it. */
  reached(): number;
  /** The method of the last request that reached it. */
  lastMethod(): string | undefined;
  close(): Promise<void>;
}

/** The provider's API: /v1/... only; a Bearer token must be valid at the upstream (userinfo). */
async function startResourceServer(issuer: string): Promise<ResourceServer> {
  let reached = 0;
  let lastMethod: string | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    reached += 1;
    lastMethod = request.method;
    handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://resource.test');
    const authorization = request.headers.authorization ?? '';
    // A slow provider: its refusal comes after a quicker call's refresh was stored.
    if (url.pathname.startsWith('/v1/oauth/slow/')) await new Promise((resolve) => setTimeout(resolve, 400));
    if (authorization.startsWith('Bearer ') && authorization !== `Bearer ${API_KEY}`) {
      const userinfo = await fetch(`${issuer}/me`, { headers: { authorization } });
      await userinfo.arrayBuffer();
      if (userinfo.status !== 200) {
        request.resume();
        response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        return;
      }
    }
    const bytes = Number(url.searchParams.get('bytes') ?? 0);
    switch (url.pathname) {
      case '/v1/hang':
        return; // never answers
      case '/v1/hang-body':
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.write(patternBody(1000));
        return; // and never ends
      case '/v1/big':
        response.writeHead(200, { 'content-type': 'application/octet-stream', ...(url.searchParams.has('declare') ? { 'content-length': String(bytes) } : {}) });
        for (let sent = 0; sent < bytes; sent += 64 * 1024) {
          if (!response.write(patternBody(Math.min(64 * 1024, bytes - sent)))) await new Promise((resolve) => response.once('drain', resolve));
          if (response.destroyed) return;
        }
        response.end();
        return;
      case '/v1/hop':
        response.setHeader('connection', 'x-custom-hop');
        response.setHeader('x-custom-hop', 'hop');
        response.setHeader('keep-alive', 'timeout=5');
        response.setHeader('proxy-authenticate', 'Basic');
        response.setHeader('set-cookie', ['provider_session=secret; HttpOnly']);
        response.setHeader('gatehouse-proxy-error', 'forged');
        response.setHeader('x-provider', 'yes');
        response.setHeader('content-security-policy', "script-src 'unsafe-inline'");
        response.setHeader('access-control-allow-origin', '*');
        response.setHeader('clear-site-data', '"cookies"');
        response.setHeader('content-type', 'text/html');
        response.end('hop');
        return;
      case '/v1/no-content':
        request.resume();
        response.writeHead(204).end();
        return;
      case '/v1/moved':
        response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      case '/v1/missing':
        response.writeHead(404, { 'content-type': 'text/plain' }).end('the provider has no such thing');
        return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ method: request.method, path: url.pathname, query: (request.url ?? '').split('?')[1] ?? '', headers: request.headers, length: body.length, sha256: sha256(body) }),
    );
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    reached: () => reached,
    lastMethod: () => lastMethod,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * One request over node:http (fetch refuses to send hop-by-hop headers), on a connection of its
 * own, the path sent exactly as written (a URL object would resolve `..` and encode `"` first),
 * the answer read whole or until the connection breaks.
 */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable } = {}): Promise<Answer> {
  const origin = /^http:\/\/[^/]+/.exec(url)![0];
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, path: url.slice(origin.length), method: options.method ?? 'GET', headers: options.headers, agent: false });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (cut: boolean): void => {
        if (done) return;
        done = true;
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, cut, json: () => JSON.parse(body.toString('utf8')) as Json });
      };
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => finish(false));
      response.on('error', () => finish(true));
      response.on('close', () => finish(!response.complete));
    });
    if (options.body instanceof Readable) options.body.pipe(request);
    else request.end(options.body);
  });
}

describe.each(DIALECTS)('the API proxy on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let upstream: OidcUpstream;
  let resource: ResourceServer;
  let server: TestServer;
  let developerKey: string;
  let readOnlyKey: string;
  let accountId: string;
  const apps: Record<string, string> = {};

  beforeAll(async () => {
    upstream = await startOidcUpstream({ accessTokenSeconds: 300 });
    resource = await startResourceServer(upstream.issuer);
    server = await startTestServer(dialect, { env: ENV, rootKey });
    const db = server.store.storage.db;
    const orgId = (await createOrganization(db, systemClock, { slug: 'acme' })).id;
    developerKey = (await createStaffUser(db, systemClock, orgId, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    readOnlyKey = (await createStaffUser(db, systemClock, orgId, { email: 'ro@acme.example', role: 'read_only', withApiKey: true })).apiKey!;
    const base = `${resource.url}/v1`;
    const main = upstream.clients.main;
    for (const [name, body] of Object.entries({
      oauth: { provider: 'openid-connect', client_id: main.clientId, client_secret: main.clientSecret, scopes: ['openid'], config: { issuer: upstream.issuer, api_base_url: base } },
      apiKey: { provider: 'api-key', config: { api_base_url: base } },
      basic: { provider: 'basic', config: { api_base_url: base } },
      noBase: { provider: 'api-key' },
      closed: { provider: 'api-key', config: { api_base_url: 'http://127.0.0.1:9/v1' } },
    })) {
      const created = await api('POST', '/app-connectors', { name, ...body });
      expect(created.status, JSON.stringify(created.json())).toBe(201);
      apps[name] = created.json().id;
    }
    const account = await api('POST', '/accounts', { name: 'Customer' });
    accountId = account.json().id;
  });
  afterAll(async () => {
    await server?.close();
    await resource?.close();
    await upstream?.close();
  });

  const basicOf = (key: string): string => `Basic ${Buffer.from(`acme:${key}`).toString('base64')}`;

  function api(method: string, path: string, body?: unknown, key = developerKey): Promise<Answer> {
    return send(`${server.url}/api/v2${path}`, {
      method,
      headers: { authorization: basicOf(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    });
  }

  function proxy(id: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable; key?: string } = {}): Promise<Answer> {
    return send(`${server.url}/api/v2/account-connectors/${id}/proxy/${path}`, {
      method: options.method,
      headers: { authorization: basicOf(options.key ?? developerKey), ...options.headers },
      body: options.body,
    });
  }

  async function connector(app: string, fields: { properties?: Record<string, string>; auth_value?: string } = {}): Promise<string> {
    const created = await api('POST', `/accounts/${accountId}/connectors`, { app_connector_id: apps[app], ...fields });
    expect(created.status, created.body.toString()).toBe(201);
    return String(created.json().id);
  }

  /** An OAuth connector holding a fresh grant; `accessToken` replaces the real one (a token the provider will refuse). */
  async function oauthConnector(options: { accessToken?: string } = {}): Promise<{ id: string; accessToken: string }> {
    const tokens = await upstream.obtainTokens(upstream.clients.main);
    const accessToken = options.accessToken ?? tokens.accessToken;
    const id = await connector('oauth', { auth_value: JSON.stringify({ AccessToken: accessToken, RefreshToken: tokens.refreshToken, Expires: new Date(Date.now() + 3_600_000).toISOString() }) });
    upstream.resetTokenCalls();
    return { id, accessToken };
  }

  const proxyAudits = (id: string) =>
    server.store.storage.db.selectFrom('audit_events').select('details').where('action', '=', 'account_connector.proxy_request').where('target_id', '=', id).execute();

  describe('credential injection', () => {
    it('sends an OAuth connector\'s access token as Bearer, which the resource server checks at the upstream; path and query pass as sent; the call is audited without its query', async () => {
      const { id, accessToken } = await oauthConnector();
      const answer = await proxy(id, 'oauth/items/a%20b?x=1&y=%20z');
      expect(answer.status, answer.body.toString()).toBe(200);
      expect(answer.headers['gatehouse-proxy-error']).toBeUndefined();
      const echo = answer.json();
      expect(echo).toMatchObject({ method: 'GET', path: '/v1/oauth/items/a%20b', query: 'x=1&y=%20z' });
      expect(echo.headers.authorization).toBe(`Bearer ${accessToken}`);
      expect(upstream.tokenCalls()).toBe(0);
      const audits = await proxyAudits(id);
      expect(audits.map((a) => JSON.parse(a.details))).toEqual([{ method: 'GET', path: '/oauth/items/a%20b', status: 200, retried: false }]);
      expect(audits[0]!.details).not.toContain(accessToken);
    });

    it('sends an api_key connector\'s key in the header its catalogue entry names, with its prefix', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const answer = await proxy(id, 'key/items', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.from('plain text, not JSON') });
      expect(answer.status, answer.body.toString()).toBe(200);
      expect(answer.json()).toMatchObject({ method: 'POST', path: '/v1/key/items', length: 20 });
      expect(answer.json().headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(answer.json().headers['content-type']).toBe('text/plain');
    });

    it('sends a basic connector\'s username and password as HTTP Basic', async () => {
      const id = await connector('basic', { properties: { Username: 'ada', Password: 'pässword:1' } });
      const answer = await proxy(id, 'basic/items', { method: 'DELETE' });
      expect(answer.status, answer.body.toString()).toBe(200);
      expect(answer.json().method).toBe('DELETE');
      expect(answer.json().headers.authorization).toBe(`Basic ${Buffer.from('ada:pässword:1', 'utf8').toString('base64')}`);
    });
  });

  it('takes an API v1 session in the query and never forwards it: a Gatehouse credential is not the provider\'s', async () => {
    const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
    const login = await send(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ org_id: 'acme', api_key: developerKey })) });
    expect(login.status, login.body.toString()).toBe(200);
    const session = String(login.json().userSessionId);
    const answer = await send(`${server.url}/api/v2/account-connectors/${id}/proxy/echo?a=1&userSessionId=${encodeURIComponent(session)}&b=2`);
    expect(answer.status, answer.body.toString()).toBe(200);
    expect(answer.json().query).toBe('a=1&b=2');
    expect(answer.body.toString()).not.toContain(session);
  });

  it('drops hop-by-hop headers both ways, never forwards the caller\'s Authorization, Cookie or Host, and passes back no Set-Cookie, origin policy or Gatehouse-* header of the provider\'s', async () => {
    const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
    const answer = await proxy(id, 'echo', {
      headers: {
        cookie: 'gatehouse_session=caller-secret',
        connection: 'x-secret-hop',
        'x-secret-hop': 'named by Connection',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        'gatehouse-proxy-timeout-ms': '5000',
        'x-kept': 'yes',
      },
    });
    expect(answer.status, answer.body.toString()).toBe(200);
    const received = answer.json().headers as Record<string, string>;
    expect(received['x-kept']).toBe('yes');
    expect(received.host).toBe(new URL(resource.url).host);
    expect(received.authorization).toBe(`Bearer ${API_KEY}`);
    for (const name of ['cookie', 'x-secret-hop', 'keep-alive', 'te', 'proxy-authorization', 'gatehouse-proxy-timeout-ms']) expect(received[name], name).toBeUndefined();
    expect(JSON.stringify(received)).not.toContain(developerKey);

    const back = await proxy(id, 'hop');
    expect(back.status).toBe(200);
    expect(back.body.toString()).toBe('hop');
    expect(back.headers['x-provider']).toBe('yes');
    for (const name of ['set-cookie', 'x-custom-hop', 'proxy-authenticate', 'gatehouse-proxy-error', 'access-control-allow-origin', 'clear-site-data']) expect(back.headers[name], name).toBeUndefined();
    // Whatever the provider sends, a browser opening the proxy's URL renders it sandboxed, away from Gatehouse's origin.
    expect(back.headers['content-type']).toBe('text/html');
    expect(back.headers['content-security-policy']).toBe("sandbox; default-src 'none'; frame-ancestors 'none'");
  });

  it('streams bodies larger than the API\'s 64 KB both ways: 3 MiB sent chunked, 5 MiB received', async () => {
    const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
    const sent = randomBytes(3 * MiB);
    const chunks = Array.from({ length: 48 }, (_, i) => sent.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
    const up = await proxy(id, 'upload', { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: Readable.from(chunks) });
    expect(up.status, up.body.toString()).toBe(200);
    expect(up.json()).toMatchObject({ method: 'PUT', length: sent.length, sha256: sha256(sent) });
    expect(up.json().headers['transfer-encoding']).toBe('chunked');

    const down = await proxy(id, `big?bytes=${5 * MiB}`);
    expect(down.status).toBe(200);
    expect(down.cut).toBe(false);
    expect(down.body.length).toBe(5 * MiB);
    expect(sha256(down.body)).toBe(sha256(bigBody(5 * MiB)));
  });

  describe('a 401 from the provider', () => {
    it('refreshes once and retries, for twelve parallel calls with one refused token: exactly one refresh at the upstream', async () => {
      const { id } = await oauthConnector({ accessToken: 'a-token-the-provider-never-issued' });
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => proxy(id, `oauth/parallel/${i}`, i % 2 === 0 ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(`{"n":${i}}`) })));
      expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
      expect(upstream.tokenCalls()).toBe(1);
      const tokens = new Set(answers.map((a) => a.json().headers.authorization));
      expect(tokens.size).toBe(1);
      expect([...tokens][0]).not.toBe('Bearer a-token-the-provider-never-issued');
      // The retried POSTs carried their bodies again.
      expect(answers[1]!.json()).toMatchObject({ method: 'POST', length: 7, sha256: sha256(Buffer.from('{"n":1}')) });
      const audits = (await proxyAudits(id)).map((a) => JSON.parse(a.details));
      expect(audits).toHaveLength(12);
      expect(audits.every((a) => a.status === 200)).toBe(true);
      // A call that read the connector after the refresh was stored needed no retry; the first ones all did.
      expect(audits.filter((a) => a.retried === true).length).toBeGreaterThan(0);
      // The next call uses the stored new token: no refresh, no retry.
      const next = await proxy(id, 'oauth/after');
      expect(next.status).toBe(200);
      expect(upstream.tokenCalls()).toBe(1);
    });

    it('retries a call refused after another call\'s refresh was stored with that token: no second refresh', async () => {
      const { id } = await oauthConnector({ accessToken: 'yet-another-token-the-provider-never-issued' });
      const [slow, quick] = await Promise.all([proxy(id, 'oauth/slow/1'), proxy(id, 'oauth/quick/1')]);
      expect([slow.status, quick.status]).toEqual([200, 200]);
      expect(slow.json().headers.authorization).toBe(quick.json().headers.authorization);
      expect(upstream.tokenCalls()).toBe(1);
    });

    it('passes the 401 back for a streamed body over 64 KiB (it cannot be sent twice), having refreshed the token for the next call', async () => {
      const { id } = await oauthConnector({ accessToken: 'another-token-the-provider-never-issued' });
      const refused = await proxy(id, 'oauth/upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: randomBytes(100 * 1024) });
      expect(refused.status).toBe(401);
      expect(refused.headers['gatehouse-proxy-error']).toBeUndefined();
      expect(refused.json()).toEqual({ error: 'invalid_token' });
      expect(upstream.tokenCalls()).toBe(1);
      const again = await proxy(id, 'oauth/upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: randomBytes(100 * 1024) });
      expect(again.status).toBe(200);
      expect(again.json().length).toBe(100 * 1024);
      expect(upstream.tokenCalls()).toBe(1);
    });
  });

  describe('paths that would leave the API base', () => {
    // [path, the rule it breaks, the code: the proxy's own, or that of an earlier layer: the API
    // refuses NUL in any field; the router refuses a path that does not decode before any route
    // runs, in the API's JSON shape but without the proxy's header (docs/decisions/0012)]
    const escapes: ReadonlyArray<readonly [path: string, rule: string, code?: string]> = [
      ['../secret', 'dot_segment'],
      ['a/../../secret', 'dot_segment'],
      ['./secret', 'dot_segment'],
      ['a/..', 'dot_segment'],
      ['%2e%2e/secret', 'dot_segment'],
      ['%2E%2E/secret', 'dot_segment'],
      ['.%2E/secret', 'dot_segment'],
      ['%2e/secret', 'dot_segment'],
      ['%252e%252e/secret', 'dot_segment'],
      ['%25252E%25252E/secret', 'dot_segment'],
      ['a%2Fb', 'encoded_slash'],
      ['a%2fb', 'encoded_slash'],
      ['..%2Fsecret', 'encoded_slash'],
      ['a%252Fb', 'encoded_slash'],
      ['a%5Cb', 'backslash'],
      ['a%5cb', 'backslash'],
      ['a\\..\\secret', 'backslash'],
      ['https://evil.example/x', 'absolute_url'],
      ['HTTP:%2F%2Fevil.example', 'absolute_url'],
      ['//evil.example/x', 'empty_segment'],
      ['a//b', 'empty_segment'],
      ['a%00b', 'control_character', 'validation_failed'],
      ['a%0D%0AX-Injected:%201', 'control_character'],
      ['a%zz', 'malformed_encoding', 'invalid_request'],
      ['a%C0%AE%C0%AE', 'malformed_encoding', 'invalid_request'],
      ['%252525252e', 'malformed_encoding'],
      ['a"b', 'not_normalized'],
    ];
    const cases = escapes.map(([path, rule, code]) => [path, rule, code ?? 'proxy_path_refused'] as const);
    // The rule is the case's name here; proxy-target.test.ts checks each by name.
    it.each(cases)('refuses %s (%s) with 400, marked as Gatehouse\'s, without calling the provider', async (path, _rule, code) => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const before = resource.reached();
      const answer = await proxy(id, path);
      expect(answer.status, answer.body.toString()).toBe(400);
      expect(answer.json().error.code).toBe(code);
      expect(answer.headers['gatehouse-proxy-error']).toBe(code === 'invalid_request' ? undefined : code);
      expect(answer.json().error.message).not.toContain('evil');
      expect(resource.reached()).toBe(before);
    });
  });

  it('stops the provider\'s call when the caller goes away mid-upload: audited as caller_gone, no server error logged', async () => {
    const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
    const errorsBefore = server.logs.filter((line) => Number(line.level) >= 50).length;
    const { hostname, port } = new URL(server.url);
    const request = httpRequest({ hostname, port, path: `/api/v2/account-connectors/${id}/proxy/upload`, method: 'POST', agent: false, headers: { authorization: basicOf(developerKey), 'content-type': 'application/octet-stream' } });
    request.on('error', () => {});
    const before = resource.reached();
    request.write(randomBytes(200 * 1024)); // past the 64 KiB kept for a retry: the upload is streaming
    // Gone once the provider's call is under way.
    for (let i = 0; i < 100 && resource.reached() === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resource.reached()).toBe(before + 1);
    request.destroy();
    let audited: Json[] = [];
    for (let i = 0; i < 40 && audited.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      audited = (await proxyAudits(id)).map((a) => JSON.parse(a.details) as Json);
    }
    expect(audited).toEqual([{ method: 'POST', path: '/upload', status: null, error: 'caller_gone', retried: false }]);
    expect(server.logs.filter((line) => Number(line.level) >= 50).length).toBe(errorsBefore);
  });

  describe('limits', () => {
    it('cuts a provider that does not answer in time: 504 before the headers, a broken connection after them', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const started = Date.now();
      const hung = await proxy(id, 'hang', { headers: { 'gatehouse-proxy-timeout-ms': '300' } });
      expect(hung.status).toBe(504);
      expect(hung.json().error.code).toBe('upstream_timeout');
      expect(hung.headers['gatehouse-proxy-error']).toBe('upstream_timeout');
      expect(Date.now() - started).toBeLessThan(5_000);
      const midway = await proxy(id, 'hang-body', { headers: { 'gatehouse-proxy-timeout-ms': '300' } });
      expect(midway.status).toBe(200);
      expect(midway.cut).toBe(true);
      expect(midway.body.length).toBe(1000);
      const audits = (await proxyAudits(id)).map((a) => JSON.parse(a.details));
      expect(audits).toContainEqual({ method: 'GET', path: '/hang', status: null, error: 'upstream_timeout', retried: false });
    });

    it('answers 408 to a caller whose body does not arrive in time, without calling the provider', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const before = resource.reached();
      const trickle = new Readable({ read() {} });
      trickle.push(Buffer.from('{"partial":'));
      const answer = await proxy(id, 'upload', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100', 'gatehouse-proxy-timeout-ms': '300' }, body: trickle });
      expect(answer.status, answer.body.toString()).toBe(408);
      expect(answer.json().error.code).toBe('proxy_request_timeout');
      expect(resource.reached()).toBe(before);
    });

    it('refuses a timeout header that is not a number of milliseconds up to 30 s', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      for (const value of ['0', '-1', 'soon', '30001', '1e3']) {
        const answer = await proxy(id, 'echo', { headers: { 'gatehouse-proxy-timeout-ms': value } });
        expect(answer.status, value).toBe(400);
      }
    });

    it('refuses a response over 10 MiB: 502 when its length is declared, cut when it streams past it', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const declared = await proxy(id, `big?bytes=${10 * MiB + 1}&declare=1`);
      expect(declared.status).toBe(502);
      expect(declared.json().error.code).toBe('upstream_response_too_large');
      const streamed = await proxy(id, `big?bytes=${10 * MiB + 64 * 1024}`);
      expect(streamed.status).toBe(200);
      expect(streamed.cut).toBe(true);
      expect(streamed.body.length).toBeLessThanOrEqual(10 * MiB);
    });

    it('refuses a request body over 10 MiB: declared, with 413 before reading it; chunked, once past the limit', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const before = resource.reached();
      const declared = await proxy(id, 'upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(10 * MiB + 1) }, body: Readable.from([randomBytes(1024)]) }).catch((error: Error) => error);
      expect(declared).not.toBeInstanceOf(Error);
      expect((declared as Answer).status).toBe(413);
      expect((declared as Answer).json().error.code).toBe('proxy_request_too_large');
      expect(resource.reached()).toBe(before);
      const big = randomBytes(11 * MiB);
      const chunked = await proxy(id, 'upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Readable.from(Array.from({ length: 176 }, (_, i) => big.subarray(i * 64 * 1024, (i + 1) * 64 * 1024))) }).catch((error: Error) => error);
      // The provider got the beginning and then a broken request; the caller is told why.
      expect(chunked).not.toBeInstanceOf(Error);
      expect((chunked as Answer).status).toBe(413);
      expect((chunked as Answer).json().error.code).toBe('proxy_request_too_large');
      expect((chunked as Answer).headers['gatehouse-proxy-error']).toBe('proxy_request_too_large');
    });
  });

  describe('Gatehouse\'s refusals are the API\'s JSON errors, marked', () => {
    it.each([
      ['an unknown connector', 404, 'not_found'],
      ['a connector never authenticated', 409, 'connector_not_authenticated'],
      ['a connector whose app gives no api_base_url', 409, 'proxy_no_api_base_url'],
      ['a provider that cannot be reached', 502, 'upstream_unavailable'],
    ])('%s: %d %s', async (what, status, code) => {
      const id =
        what === 'an unknown connector'
          ? 'acn_doesnotexist'
          : what === 'a connector never authenticated'
            ? await connector('oauth')
            : what === 'a connector whose app gives no api_base_url'
              ? await connector('noBase', { properties: { ApiKey: API_KEY } })
              : await connector('closed', { properties: { ApiKey: API_KEY } });
      const answer = await proxy(id, 'echo');
      expect(answer.status, answer.body.toString()).toBe(status);
      expect(answer.json().error.code).toBe(code);
      expect(answer.headers['gatehouse-proxy-error']).toBe(code === 'invalid_request' ? undefined : code);
    });

    it('passes back a 204 and a redirect as they are: the redirect is not followed', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const before = resource.reached();
      const empty = await proxy(id, 'no-content', { method: 'PUT', body: Buffer.from('untyped body') });
      expect(empty.status).toBe(204);
      expect(empty.body.length).toBe(0);
      const moved = await proxy(id, 'moved');
      expect(moved.status).toBe(302);
      expect(moved.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
      expect(resource.reached()).toBe(before + 2);
    });

    it('forwards HEAD as HEAD (not as a GET) and OPTIONS as OPTIONS', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const head = await proxy(id, 'echo', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(resource.lastMethod()).toBe('HEAD');
      expect(head.body.length).toBe(0);
      expect(head.headers['content-type']).toBe('application/json');
      const options = await proxy(id, 'echo', { method: 'OPTIONS' });
      expect(options.status).toBe(200);
      expect(options.json().method).toBe('OPTIONS');
      const audits = (await proxyAudits(id)).map((a) => JSON.parse(a.details).method);
      expect(audits.sort()).toEqual(['HEAD', 'OPTIONS']);
    });

    it('forwards a body sent without a Content-Type, unread and untyped', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const answer = await proxy(id, 'untyped', { method: 'PATCH', body: Buffer.from('no type at all') });
      expect(answer.status, answer.body.toString()).toBe(200);
      expect(answer.json()).toMatchObject({ method: 'PATCH', length: 14 });
      expect(answer.json().headers['content-type']).toBeUndefined();
    });

    it('needs connectors:write (a read-only key gets 403) and credentials (401), both marked', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const forbidden = await proxy(id, 'echo', { key: readOnlyKey });
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers['gatehouse-proxy-error']).toBe('forbidden');
      const anonymous = await send(`${server.url}/api/v2/account-connectors/${id}/proxy/echo`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['gatehouse-proxy-error']).toBe('unauthorized');
    });

    it('passes the provider\'s own errors back as they are, unmarked', async () => {
      const id = await connector('apiKey', { properties: { ApiKey: API_KEY } });
      const missing = await proxy(id, 'missing');
      expect(missing.status).toBe(404);
      expect(missing.body.toString()).toBe('the provider has no such thing');
      expect(missing.headers['gatehouse-proxy-error']).toBeUndefined();
    });

    it('answers needs_reauth with 409 when the forced refresh finds the grant gone', async () => {
      const tokens = await upstream.obtainTokens(upstream.clients.main);
      upstream.resetTokenCalls();
      const id = await connector('oauth', { auth_value: JSON.stringify({ AccessToken: 'refused-token', RefreshToken: tokens.refreshToken, Expires: new Date(Date.now() + 3_600_000).toISOString() }) });
      // Spent outside the hub: the hub's copy is now a reused refresh token, which revokes the grant.
      expect(await upstream.refreshDirectly(upstream.clients.main, tokens.refreshToken)).toBe(200);
      upstream.resetTokenCalls();
      const answer = await proxy(id, 'oauth/x');
      expect(answer.status).toBe(409);
      expect(answer.json().error.code).toBe('connector_needs_reauth');
      const again = await proxy(id, 'oauth/x');
      expect(again.status).toBe(409);
      expect(upstream.tokenCalls()).toBe(1);
      // The first call reached the provider (401) before the refresh failed; the second, refused by the connector's state, did not.
      expect((await proxyAudits(id)).map((a) => JSON.parse(a.details))).toEqual([{ method: 'GET', path: '/oauth/x', status: 401, error: 'connector_needs_reauth', retried: false }]);
    });
  });

  it('answers 500 vault_unavailable, as the credentials endpoint does, when the server runs with another root key than the one that sealed the tokens', async () => {
    const { id } = await oauthConnector();
    const otherKey = await startTestServer(dialect, { store: server.store, env: ENV, rootKey: randomBytes(32) });
    try {
      const before = resource.reached();
      for (const path of [`/api/v2/account-connectors/${id}/proxy/oauth/x`, `/api/v2/account-connectors/${id}/credentials`]) {
        const answer = await send(`${otherKey.url}${path}`, { headers: { authorization: basicOf(developerKey) } });
        expect(answer.status, path).toBe(500);
        expect(answer.json().error.code, path).toBe('vault_unavailable');
      }
      expect(resource.reached()).toBe(before);
    } finally {
      await otherKey.close();
    }
  });

  it('refuses a provider on a private address when OUTBOUND_ALLOW_PRIVATE_NETWORK is off, without calling it', async () => {
    const strict = await startTestServer(dialect, { store: server.store, env: {}, rootKey });
    try {
      // https (allowed without the switch) to a loopback address: refused at the call, not when saved.
      const created = await api('POST', '/app-connectors', { name: 'Private', provider: 'api-key', config: { api_base_url: `https://127.0.0.1:${new URL(resource.url).port}/v1` } });
      expect(created.status, created.body.toString()).toBe(201);
      apps.private = created.json().id;
      const id = await connector('private', { properties: { ApiKey: API_KEY } });
      const before = resource.reached();
      const answer = await send(`${strict.url}/api/v2/account-connectors/${id}/proxy/echo`, { headers: { authorization: basicOf(developerKey) } });
      expect(answer.status, `${answer.body.toString()} ${JSON.stringify(strict.logs.filter((l) => l.level === 50))}`).toBe(409);
      expect(answer.json().error.code).toBe('destination_refused');
      expect(answer.json().error.message).toContain('not public');
      expect(resource.reached()).toBe(before);
    } finally {
      await strict.close();
    }
  });
});
