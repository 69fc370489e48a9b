import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, seedClient, seedOrg, type SeededOrg, REDIRECT_URI, VERIFIER, CHALLENGE } from './helpers/fixtures.ts';
import { CLIENT_AUTH_THROTTLE_LIMITS } from '../src/oauth/client-auth-throttle.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';


interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
}

describe.each(DIALECTS)('token endpoint on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let app: TestClient;
  let jadu: TestClient;
  let service: TestClient;
  let spa: TestClient;
  let issuer: string;
  // Time is injected: codes and tokens expire without sleeping.
  let now = Date.now();

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: () => now });
    const db = server.store.storage.db;
    seeded = await seedOrg(db, 'acme');
    app = await seedClient(db, seeded.org.id, { consentRequired: false });
    jadu = await seedClient(db, seeded.org.id, { consentRequired: false, codeTtlSeconds: 30 });
    service = await seedClient(db, seeded.org.id, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read reports:write', consentRequired: false });
    spa = await seedClient(db, seeded.org.id, { clientType: 'public', redirectUris: ['https://spa.example.org/cb'], postLogoutRedirectUris: [], consentRequired: false });
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (client: TestClient) => `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`).toString('base64')}`;

  async function code(client: TestClient, options: { pkce?: boolean; redirectUri?: string; scope?: string } = {}): Promise<string> {
    const params = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: options.redirectUri ?? REDIRECT_URI, scope: options.scope ?? 'openid profile', state: 's' });
    if (options.pkce !== false) {
      params.set('code_challenge', CHALLENGE);
      params.set('code_challenge_method', 'S256');
    }
    const callback = await signInThroughPages(new TestBrowser(), `${issuer}/authorize?${params}`, server.url, { username: 'alice', password: PASSWORD });
    return new URL(callback).searchParams.get('code')!;
  }

  async function token(body: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
    const response = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });
    return { status: response.status, json: (await response.json()) as Record<string, unknown>, headers: response.headers };
  }

  const redeem = (c: string, client: TestClient = app, extra: Record<string, string> = {}) =>
    token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER, ...extra }, { authorization: basic(client) });

  it('answers a redemption with the token response and no-store', async () => {
    const result = await redeem(await code(app));
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.headers.get('pragma')).toBe('no-cache');
    expect(result.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile', account_id: seeded.constituent.accountId });
    expect(result.json.access_token).toMatch(/^[0-9a-z]{26}[A-Za-z0-9_-]{43}$/);
    expect(result.json.refresh_token).toMatch(/^[0-9a-z]{26}[A-Za-z0-9_-]{43}$/);
    expect(typeof result.json.id_token).toBe('string');
  });

  it('takes client_secret_post and multipart/form-data (curl -F) bodies', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({ grant_type: 'authorization_code', code: await code(app), redirect_uri: REDIRECT_URI, code_verifier: VERIFIER, client_id: app.clientId, client_secret: app.clientSecret! })) {
      form.append(name, value);
    }
    const response = await fetch(`${issuer}/token`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Record<string, unknown>).account_id).toBe(seeded.constituent.accountId);
  });

  describe('codes', () => {
    it('are single use: a second redemption fails and revokes the tokens of the first', async () => {
      const c = await code(app);
      const first = await redeem(c);
      expect(first.status).toBe(200);
      const second = await redeem(c);
      expect(second).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      const userinfo = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${String(first.json.access_token)}` } });
      expect(userinfo.status).toBe(401);
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token) }, { authorization: basic(app) });
      expect(refreshed.json.error).toBe('invalid_grant');
    });

    it('yield exactly one success out of ten parallel redemptions', async () => {
      const c = await code(app);
      const results = await Promise.all(Array.from({ length: 10 }, () => redeem(c)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.json.error === 'invalid_grant')).toHaveLength(9);
    });

    it('expire after the org lifetime (600 s) or the client override (Jadu: 30 s)', async () => {
      const jaduCode = await code(jadu);
      now += 31_000;
      expect((await redeem(jaduCode, jadu)).json.error).toBe('invalid_grant');
      const appCode = await code(app);
      now += 599_000;
      expect((await redeem(appCode)).status).toBe(200);
      const lateCode = await code(app);
      now += 601_000;
      expect((await redeem(lateCode)).json.error).toBe('invalid_grant');
    });

    it.each([
      ['another redirect_uri', { redirect_uri: 'https://app.example.org/other' }, 'invalid_grant'],
      ['no redirect_uri', { redirect_uri: '' }, 'invalid_request'],
      ['a wrong code_verifier', { code_verifier: 'x'.repeat(43) }, 'invalid_grant'],
      ['no code_verifier', { code_verifier: '' }, 'invalid_grant'],
    ])('refuse %s', async (_name, extra, error) => {
      expect((await redeem(await code(app), app, extra)).json.error).toBe(error);
    });

    it('refuse a code_verifier for a code issued without a challenge', async () => {
      const c = await code(app, { pkce: false });
      expect((await redeem(c)).json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('no code_challenge') });
    });

    it('are bound to the client they were issued to', async () => {
      const c = await code(app);
      expect((await redeem(c, jadu)).json.error).toBe('invalid_grant');
      // The rightful client can still redeem it: a wrong client does not burn the code.
      expect((await redeem(c)).status).toBe(200);
    });

    it('let a public client redeem with PKCE and no secret', async () => {
      const params = new URLSearchParams({ response_type: 'code', client_id: spa.clientId, redirect_uri: 'https://spa.example.org/cb', code_challenge: CHALLENGE, code_challenge_method: 'S256', scope: 'openid' });
      const callback = await signInThroughPages(new TestBrowser(), `${issuer}/authorize?${params}`, server.url, { username: 'alice', password: PASSWORD });
      const result = await token({ grant_type: 'authorization_code', code: new URL(callback).searchParams.get('code')!, redirect_uri: 'https://spa.example.org/cb', code_verifier: VERIFIER, client_id: spa.clientId });
      expect(result.status).toBe(200);
    });
  });

  describe('refresh tokens', () => {
    it('rotate and never widen the granted scope', async () => {
      const first = await redeem(await code(app));
      const narrowed = await token({ grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token), scope: 'openid' }, { authorization: basic(app) });
      expect(narrowed.json).toMatchObject({ scope: 'openid' });
      expect(narrowed.json.refresh_token).not.toBe(first.json.refresh_token);
      // The narrowed refresh keeps the grant: the full scope can be asked for again.
      const full = await token({ grant_type: 'refresh_token', refresh_token: String(narrowed.json.refresh_token), scope: 'openid profile' }, { authorization: basic(app) });
      expect(full.json.scope).toBe('openid profile');
      const wider = await token({ grant_type: 'refresh_token', refresh_token: String(full.json.refresh_token), scope: 'openid profile email' }, { authorization: basic(app) });
      expect(wider.json.error).toBe('invalid_scope');
    });

    it('are bound to their client', async () => {
      const first = await redeem(await code(app));
      const stolen = await token({ grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token) }, { authorization: basic(jadu) });
      expect(stolen.json.error).toBe('invalid_grant');
      expect((await token({ grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token) }, { authorization: basic(app) })).status).toBe(200);
    });

    const refresh = (refreshToken: unknown, extra: Record<string, string> = {}) => token({ grant_type: 'refresh_token', refresh_token: String(refreshToken), ...extra }, { authorization: basic(app) });
    const userinfoStatus = async (accessToken: unknown) => (await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${String(accessToken)}` } })).status;
    const introspect = async (value: unknown) =>
      (await (
        await fetch(`${issuer}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) }, body: new URLSearchParams({ token: String(value) }).toString() })
      ).json()) as Record<string, unknown>;

    // RFC 6749 §6 / RFC 9700 §4.14.2: the old refresh token is invalidated when a new one is issued, not before.
    it('survive a refused request: a wider scope leaves the token current, and the retry rotates it', async () => {
      const first = await redeem(await code(app));
      expect(await refresh(first.json.refresh_token, { scope: 'openid admin' })).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
      expect(await introspect(first.json.refresh_token)).toMatchObject({ active: true });
      const retried = await refresh(first.json.refresh_token);
      expect(retried.status).toBe(200);
      expect(await userinfoStatus(first.json.access_token)).toBe(200);
      expect((await refresh(retried.json.refresh_token)).status).toBe(200);
    });

    it('survive parallel refused requests: none of them rotates the token', async () => {
      const first = await redeem(await code(app));
      const refused = await Promise.all(Array.from({ length: 8 }, () => refresh(first.json.refresh_token, { scope: 'openid admin' })));
      expect(refused.map((r) => r.json.error)).toEqual(Array(8).fill('invalid_scope'));
      expect((await refresh(first.json.refresh_token)).status).toBe(200);
    });

    // On PostgreSQL, a family revoked while a rotation of it commits cannot see the refresh token
    // that rotation writes: the family's own state must make that token worthless.
    it('of a revoked family are refused even when not revoked themselves', async () => {
      const first = await redeem(await code(app));
      const familyId = (await server.store.storage.db.selectFrom('refresh_tokens').select('family_id').where('id', '=', String(first.json.refresh_token).slice(0, 26)).executeTakeFirstOrThrow()).family_id;
      await server.store.storage.db.updateTable('token_families').set({ revoked_at: Date.now() }).where('id', '=', familyId).execute();
      expect(await refresh(first.json.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    });

    // The parallel half also guards a PostgreSQL deadlock: a request that lost the rotation held the
    // token's row lock and waited for the family, which a request revoking it held (500s).
    it('presented again after rotation, revoke the family; of parallel uses exactly one rotates and the rest count as reuse', async () => {
      const first = await redeem(await code(app));
      const second = await refresh(first.json.refresh_token);
      expect(second.status).toBe(200);
      expect((await refresh(first.json.refresh_token)).json.error).toBe('invalid_grant');
      expect(await userinfoStatus(second.json.access_token)).toBe(401);
      expect((await refresh(second.json.refresh_token)).json.error).toBe('invalid_grant');

      const other = await redeem(await code(app));
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(other.json.refresh_token)));
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.json.error === 'invalid_grant')).toHaveLength(9);
      expect((await refresh(winners[0]!.json.refresh_token)).json.error).toBe('invalid_grant');
    });

    // On PostgreSQL a request that loses a rotation race keeps the lost token's row lock, and a
    // revocation of the family through another token can then deadlock with it (500s): such
    // transactions are run again (retriedTransaction).
    it('revoked and reused at once through different tokens of one family, all answer without error', async () => {
      for (let round = 0; round < 3; round++) {
        const first = await redeem(await code(app));
        const second = await refresh(first.json.refresh_token);
        const revokeSecond = async () =>
          (await fetch(`${issuer}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) }, body: new URLSearchParams({ token: String(second.json.refresh_token) }).toString() })).status;
        const answers = await Promise.all([
          ...Array.from({ length: 4 }, async () => (await refresh(second.json.refresh_token)).status),
          ...Array.from({ length: 4 }, async () => (await refresh(first.json.refresh_token)).status),
          ...Array.from({ length: 4 }, revokeSecond),
        ]);
        expect(answers.filter((status) => status !== 200 && status !== 400)).toEqual([]);
        expect(await userinfoStatus(second.json.access_token)).toBe(401);
      }
    });

    it('once expired, are refused as expired however often they are presented, never as reuse', async () => {
      const first = await redeem(await code(app));
      now += 30 * 24 * 3600 * 1000 + 1000;
      for (let attempt = 0; attempt < 2; attempt++) {
        expect(await refresh(first.json.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant', error_description: 'The refresh token has expired.' } });
      }
    });
  });

  describe('client credentials', () => {
    it('issue a token for the client alone, without refresh or ID token', async () => {
      const result = await token({ grant_type: 'client_credentials' }, { authorization: basic(service) });
      expect(result.status).toBe(200);
      expect(result.json).toMatchObject({ token_type: 'Bearer', scope: 'reports:read reports:write', expires_in: 3600 });
      expect(result.json).not.toHaveProperty('refresh_token');
      expect(result.json).not.toHaveProperty('id_token');
      expect(result.json).not.toHaveProperty('account_id');
      const narrowed = await token({ grant_type: 'client_credentials', scope: 'reports:read' }, { authorization: basic(service) });
      expect(narrowed.json.scope).toBe('reports:read');
      expect((await token({ grant_type: 'client_credentials', scope: 'openid' }, { authorization: basic(service) })).json.error).toBe('invalid_scope');
    });

    // RFC 6749 §3.3: an empty scope is no grant.
    it('refuse a request that leaves no scope: scope=%20, or a client registered with user scopes only', async () => {
      expect(await token({ grant_type: 'client_credentials', scope: ' ' }, { authorization: basic(service) })).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
      // Creation now refuses such a client (issue 9 item 13); one made before that rule still gets no token.
      const userScopesOnly = await seedClient(server.store.storage.db, seeded.org.id, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'legacy', consentRequired: false });
      await server.store.storage.db.updateTable('clients').set({ scope: 'openid profile' }).where('id', '=', userScopesOnly.clientId).execute();
      expect(await token({ grant_type: 'client_credentials' }, { authorization: basic(userScopesOnly) })).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
    });

    it('are refused to clients without the grant, and to public clients', async () => {
      expect((await token({ grant_type: 'client_credentials' }, { authorization: basic(app) })).json.error).toBe('unauthorized_client');
      expect((await token({ grant_type: 'client_credentials', client_id: spa.clientId })).json.error).toBe('unauthorized_client');
    });
  });

  describe('errors exactly per RFC 6749 §5.2', () => {
    it.each([
      ['an unknown client', { grant_type: 'client_credentials' }, { authorization: 'Basic ' + Buffer.from('nope:secret').toString('base64') }],
      ['a wrong secret', { grant_type: 'client_credentials' }, 'wrong-secret'],
      ['malformed Basic credentials', { grant_type: 'client_credentials' }, { authorization: 'Basic !!!notbase64' }],
      ['Basic without a colon', { grant_type: 'client_credentials' }, { authorization: 'Basic ' + Buffer.from('justanid').toString('base64') }],
      ['no credentials for a confidential client', { grant_type: 'client_credentials', client_id: 'will-be-replaced' }, {}],
    ])('%s is invalid_client, 401 with WWW-Authenticate', async (_name, body: Record<string, string>, headers) => {
      const realHeaders = headers === 'wrong-secret' ? { authorization: basic({ clientId: service.clientId, clientSecret: 'gsec_wrong' }) } : headers;
      const realBody = body.client_id === 'will-be-replaced' ? { ...body, client_id: service.clientId } : body;
      const result = await token(realBody, realHeaders);
      expect(result.status).toBe(401);
      expect(result.json.error).toBe('invalid_client');
      expect(result.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(result.headers.get('cache-control')).toBe('no-store');
    });

    it('two authentication methods at once are invalid_request', async () => {
      const result = await token({ grant_type: 'client_credentials', client_secret: service.clientSecret! }, { authorization: basic(service) });
      expect(result).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    });

    it.each([
      ['a missing grant_type', {}, 400, 'invalid_request'],
      ['an unknown grant_type', { grant_type: 'password' }, 400, 'unsupported_grant_type'],
      ['a repeated parameter', 'grant_type=client_credentials&grant_type=client_credentials', 400, 'invalid_request'],
      ['a missing code', { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI }, 400, 'invalid_request'],
      ['junk as a code', { grant_type: 'authorization_code', code: '<script>alert(1)</script>', redirect_uri: REDIRECT_URI }, 400, 'invalid_grant'],
      ['a NUL in a code', { grant_type: 'authorization_code', code: '\u0000<script>', redirect_uri: REDIRECT_URI }, 400, 'invalid_request'],
      ['junk as a refresh token', { grant_type: 'refresh_token', refresh_token: 'x'.repeat(5000) }, 400, 'invalid_grant'],
    ])('%s is %s', async (_name, body, status, error) => {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
        body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
      });
      expect(response.status).toBe(status);
      expect(((await response.json()) as Record<string, unknown>).error).toBe(error);
    });

    it('a JSON body is invalid_request, and an oversized body is 413, never a 500', async () => {
      const json = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
      expect(json.status).toBe(400);
      expect(((await json.json()) as Record<string, unknown>).error).toBe('invalid_request');
      const big = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&x=${'a'.repeat(200_000)}` });
      expect(big.status).toBe(413);
      expect(((await big.json()) as Record<string, unknown>).error).toBe('invalid_request');
      const upload = new FormData();
      upload.append('grant_type', 'client_credentials');
      upload.append('file', new Blob(['data']), 'file.txt');
      const withFile = await fetch(`${issuer}/token`, { method: 'POST', headers: { authorization: basic(service) }, body: upload });
      expect(withFile.status).toBe(400);
    });
  });

  // Fastify's bodyLimit does not reach @fastify/multipart's stream: the multipart reader counts.
  describe('multipart bodies', () => {
    const multipartForm = (fields: Record<string, string>): FormData => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      return form;
    };
    const post = async (path: string, body: FormData, headers: Record<string, string> = {}) => {
      const response = await fetch(`${issuer}${path}`, { method: 'POST', headers, body });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const TOO_LARGE = { status: 413, json: { error: 'invalid_request', error_description: 'The request body is too large.' } };

    it('over the 64 KB limit are 413, like urlencoded ones, before client authentication', async () => {
      const big = { grant_type: 'client_credentials', pad: 'a'.repeat(50 * 1024 * 1024) };
      expect(await post('/token', multipartForm(big), { authorization: basic(service) })).toMatchObject(TOO_LARGE);
      expect(await post('/revoke', multipartForm({ token: 'x', pad: big.pad }))).toMatchObject(TOO_LARGE);
      expect(await post('/token', multipartForm({ grant_type: 'client_credentials', pad: 'a'.repeat(200_000) }), { authorization: basic(service) })).toMatchObject(TOO_LARGE);
    });

    it('without a Content-Length are counted as they arrive, and reading stops at the limit', async () => {
      const boundary = 'gatehouse-boundary';
      const total = 50 * 1024 * 1024;
      let produced = 0;
      async function* body(): AsyncGenerator<Buffer> {
        yield Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--${boundary}\r\ncontent-disposition: form-data; name="pad"\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 'a');
        while (produced < total) {
          produced += chunk.length;
          yield chunk;
        }
        yield Buffer.from(`\r\n--${boundary}--\r\n`);
      }
      let sent: Promise<unknown> = Promise.resolve();
      const response = await new Promise<{ status: number; json: Record<string, unknown> }>((resolve) => {
        const request = httpRequest(`${issuer}/token`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked', authorization: basic(service) } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (data: string) => (text += data)).on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown> }));
        });
        // Settles when the whole body was taken, or fails when the server closes the connection.
        sent = pipeline(Readable.from(body()), request).catch(() => {});
      });
      expect(response).toMatchObject(TOO_LARGE);
      await sent;
      // The server stopped reading and closed the connection: what was produced is what the socket
      // buffers took, far from the 50 MB.
      expect(produced).toBeLessThan(total / 2);
    });

    it('refuse a value cut short by the field limit, and too many fields, never taking a truncated value', async () => {
      expect(await post('/token', multipartForm({ grant_type: 'client_credentials', pad: 'a'.repeat(20_000) }), { authorization: basic(service) })).toMatchObject(TOO_LARGE);
      const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, 'x']));
      expect(await post('/token', multipartForm({ grant_type: 'client_credentials', ...many }), { authorization: basic(service) })).toMatchObject(TOO_LARGE);
    });
  });

  // Regression (issue 9, item 7): 40 wrong client secrets in a row got 40 answers, none throttled
  // (RFC 6749 §2.3.1: endpoints checking client passwords MUST be protected against brute force).
  // Each test uses clients and networks of its own (X-Forwarded-For, trusted from loopback).
  describe('failed client authentication', () => {
    const { failuresPerClient, failuresPerNetwork, windowMs } = CLIENT_AUTH_THROTTLE_LIMITS;
    const serviceClient = () => seedClient(server.store.storage.db, seeded.org.id, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read', consentRequired: false });
    const wrongSecret = (client: TestClient): TestClient => ({ clientId: client.clientId, clientSecret: 'gsec_wrong' });
    const credentials = (client: TestClient, from: string) => ({ authorization: basic(client), 'x-forwarded-for': from });
    const at = async (path: string, body: Record<string, string>, headers: Record<string, string>) => {
      const response = await fetch(`${issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });
      return { status: response.status, headers: response.headers, json: response.status === 200 && path === '/revoke' ? {} : ((await response.json()) as Record<string, unknown>) };
    };
    // Regression (security review of issue 9 item 7, finding 8): RFC 6749 §5.2 wants a challenge
    // when Basic client authentication fails; the 429 (RFC 6585 §4: nothing was checked) now
    // carries one when the client used Basic, and none after client_secret_post.
    const throttledAnswer = (result: { status: number; headers: Headers; json: Record<string, unknown> }, sent: { readonly basic: boolean } = { basic: true }) => {
      expect(result.status).toBe(429);
      expect(result.json).toEqual({ error: 'invalid_client', error_description: 'Too many failed client authentications; try again later.' });
      expect(result.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      expect(Number(result.headers.get('retry-after'))).toBeLessThanOrEqual(windowMs / 1000);
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.headers.get('www-authenticate')).toBe(sent.basic ? `Basic realm="${issuer}"` : null);
    };

    it(`answer ${failuresPerClient} wrong secrets with 401, then 429 without checking; the right secret from the client's usual network still gets a token`, async () => {
      const client = await serviceClient();
      // The client's usual place: it authenticated from there before the attack.
      expect((await token({ grant_type: 'client_credentials' }, credentials(client, '2001:db8:50:1::10'))).status).toBe(200);
      const answers = [];
      for (let i = 0; i < 40; i++) answers.push(await token({ grant_type: 'client_credentials' }, credentials(wrongSecret(client), '203.0.113.9')));
      expect(answers.map((a) => a.status)).toEqual([...Array(failuresPerClient).fill(401), ...Array(40 - failuresPerClient).fill(429)]);
      for (const answer of answers.slice(failuresPerClient)) throttledAnswer(answer);
      expect(answers[0]!.json.error).toBe('invalid_client');
      // The secret is not checked: the right one from the attacker's network, or from a new one, is refused too.
      throttledAnswer(await token({ grant_type: 'client_credentials' }, credentials(client, '203.0.113.9')));
      throttledAnswer(await token({ grant_type: 'client_credentials' }, credentials(client, '198.51.100.20')));
      throttledAnswer(await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret! }, { 'x-forwarded-for': '198.51.100.20' }), { basic: false });
      // From its usual network (any address of its /64), by either method and at every endpoint: served.
      const served = await token({ grant_type: 'client_credentials' }, credentials(client, '2001:db8:50:1::99'));
      expect(served.status).toBe(200);
      expect((await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret! }, { 'x-forwarded-for': '2001:db8:50:1::10' })).status).toBe(200);
      const introspected = await at('/introspect', { token: String(served.json.access_token) }, credentials(client, '2001:db8:50:1::10'));
      expect(introspected).toMatchObject({ status: 200, json: { active: true } });
      expect((await at('/revoke', { token: String(served.json.access_token) }, credentials(client, '2001:db8:50:1::10'))).status).toBe(200);
      // …and not from elsewhere, at introspection and revocation either.
      throttledAnswer(await at('/introspect', { token: 'x' }, credentials(client, '198.51.100.20')));
      throttledAnswer(await at('/revoke', { token: 'x' }, credentials(client, '198.51.100.20')));
      // Once the failures leave the window, a new network is served again.
      now += windowMs + 1;
      expect((await token({ grant_type: 'client_credentials' }, credentials(client, '198.51.100.20'))).status).toBe(200);
    });

    // Regression (security review of issue 9 item 7, finding 7): every throttled refusal wrote an
    // info log line, so a flood of refusals cost a log line each.
    it('log the first refusal of a lockout at info, the rest of a flood at debug', async () => {
      const client = await serviceClient();
      const throttledLines = () => server.logs.filter((line) => line.msg === 'protocol error' && String(line.detail).startsWith('client authentication throttled')).length;
      const before = throttledLines();
      for (let i = 0; i < failuresPerClient; i++) expect((await token({ grant_type: 'client_credentials' }, credentials(wrongSecret(client), '203.0.113.95'))).status).toBe(401);
      for (let i = 0; i < 20; i++) expect((await token({ grant_type: 'client_credentials' }, credentials(wrongSecret(client), `203.0.113.${96 + (i % 2)}`))).status).toBe(429);
      expect(throttledLines() - before).toBe(1);
      for (let i = 0; i < failuresPerNetwork; i++) expect((await token({ grant_type: 'client_credentials' }, credentials({ clientId: `flood-${i}`, clientSecret: 'gsec_guess' }, '203.0.113.98'))).status).toBe(401);
      for (let i = 0; i < 20; i++) expect((await token({ grant_type: 'client_credentials' }, credentials({ clientId: `flood-more-${i}`, clientSecret: 'gsec_guess' }, '203.0.113.98'))).status).toBe(429);
      expect(throttledLines() - before).toBe(2);
    });

    it('count failures at introspection and revocation too, and answer an unknown client id as a known one', async () => {
      const client = await serviceClient();
      const half = failuresPerClient / 2;
      for (let i = 0; i < half; i++) expect((await at('/introspect', { token: 'x' }, credentials(wrongSecret(client), '203.0.113.30'))).status).toBe(401);
      for (let i = 0; i < failuresPerClient - half; i++) expect((await at('/revoke', { token: 'x' }, credentials(wrongSecret(client), '203.0.113.30'))).status).toBe(401);
      throttledAnswer(await token({ grant_type: 'client_credentials' }, credentials(client, '203.0.113.31')));
      const ghost = { clientId: 'no-such-client', clientSecret: 'gsec_guess' };
      for (let i = 0; i < failuresPerClient; i++) expect((await token({ grant_type: 'client_credentials' }, credentials(ghost, '203.0.113.32'))).status).toBe(401);
      throttledAnswer(await token({ grant_type: 'client_credentials' }, credentials(ghost, '203.0.113.33')));
    });

    // Regression (security review of issue 9 item 7, finding 2): a network's lockout crossed tenants
    // and had no exemption: 30 failures with bogus ids from a shared egress (an integration
    // platform, CGNAT, a /64) locked every client of every org out there, right secret and usual
    // network or not. It now refuses only ids unknown there, or known ids from new networks.
    it(`lock a network out after ${failuresPerNetwork} failures (an IPv6 client by its /64) for ids unknown or new there, never a client's right secret from its usual network, in any org`, async () => {
      const db = server.store.storage.db;
      const client = await serviceClient();
      const elsewhere = await serviceClient();
      const neighbour = await seedOrg(db, 'neighbour');
      const neighbours = await seedClient(db, neighbour.org.id, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read', consentRequired: false });
      const neighbourToken = async (from: string) =>
        (await fetch(`${server.url}/o/neighbour/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...credentials(neighbours, from) }, body: 'grant_type=client_credentials' })).status;
      expect((await token({ grant_type: 'client_credentials' }, credentials(client, '2001:db8:77:1::1'))).status).toBe(200);
      expect(await neighbourToken('2001:db8:77:1::2')).toBe(200);
      expect((await token({ grant_type: 'client_credentials' }, credentials(elsewhere, '192.0.2.77'))).status).toBe(200);
      // One failure per client id, from addresses all over one /64: only the network's count can stop them.
      for (let i = 0; i < failuresPerNetwork; i++) {
        expect((await token({ grant_type: 'client_credentials' }, credentials({ clientId: `guess-${i}`, clientSecret: 'gsec_guess' }, `2001:db8:77:1::${(i + 3).toString(16)}`))).status).toBe(401);
      }
      throttledAnswer(await token({ grant_type: 'client_credentials' }, credentials({ clientId: 'guess-new', clientSecret: 'gsec_guess' }, '2001:db8:77:1::abc')));
      throttledAnswer(await token({ grant_type: 'client_credentials' }, credentials(elsewhere, '2001:db8:77:1::abd')));
      // The clients that run there, of this org and another, still get their tokens, and a wrong secret is checked.
      expect((await token({ grant_type: 'client_credentials' }, credentials(client, '2001:db8:77:1:ffff::1'))).status).toBe(200);
      expect(await neighbourToken('2001:db8:77:1:ffff::2')).toBe(200);
      expect((await token({ grant_type: 'client_credentials' }, credentials(wrongSecret(client), '2001:db8:77:1::1'))).status).toBe(401);
      expect((await token({ grant_type: 'client_credentials' }, credentials(elsewhere, '2001:db8:77:2::1'))).status).toBe(200);
    });

    // Regression (security review of issue 9 item 4, finding 5): a proxy forwarding the client's
    // address with a port (or an IPv6 address in brackets) made each request a network of its own.
    it('count a forwarded address with a port, or in brackets, as its network', async () => {
      const guess = (i: number, from: string) => token({ grant_type: 'client_credentials' }, credentials({ clientId: `port-guess-${i}`, clientSecret: 'gsec_guess' }, from));
      for (let i = 0; i < failuresPerNetwork; i++) expect((await guess(i, `203.0.113.88:${40_000 + i}`)).status).toBe(401);
      throttledAnswer(await guess(100, '203.0.113.88:50000'));
      throttledAnswer(await guess(101, '203.0.113.88'));
      for (let i = 0; i < failuresPerNetwork; i++) expect((await guess(i, i % 2 === 0 ? `[2001:db8:88:1::${i + 1}]:${40_000 + i}` : `[2001:db8:88:1::${i + 1}]`)).status).toBe(401);
      throttledAnswer(await guess(102, '[2001:db8:88:1::ffff]:443'));
      throttledAnswer(await guess(103, '2001:db8:88:1::fffe'));
    });

    it('never lock a public client out by its id: it has no secret to guess, and is used from everywhere, even a network locked out', async () => {
      for (let i = 0; i < failuresPerClient + 2; i++) {
        expect((await token({ grant_type: 'client_credentials', client_id: spa.clientId, client_secret: 'a guess' }, { 'x-forwarded-for': '203.0.113.40' })).status).toBe(401);
      }
      const redeemFrom = (from: string) => token({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://spa.example.org/cb', code_verifier: VERIFIER, client_id: spa.clientId }, { 'x-forwarded-for': from });
      expect(await redeemFrom('198.51.100.41')).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      for (let i = 0; i < failuresPerNetwork; i++) expect((await token({ grant_type: 'client_credentials' }, credentials({ clientId: `spa-guess-${i}`, clientSecret: 'gsec_guess' }, '203.0.113.42'))).status).toBe(401);
      expect(await redeemFrom('203.0.113.42')).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      throttledAnswer(await token({ grant_type: 'client_credentials', client_id: spa.clientId, client_secret: 'a guess' }, { 'x-forwarded-for': '203.0.113.42' }), { basic: false });
    });
  });

  describe('tenancy', () => {
    it('a client, code or token of one organization is worthless at another', async () => {
      const db = server.store.storage.db;
      const other = await seedOrg(db, 'other');
      const otherIssuer = `${server.url}/o/other`;
      // The client authenticates only at its own org.
      const foreign = await fetch(`${otherIssuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(service) }, body: 'grant_type=client_credentials' });
      expect(foreign.status).toBe(401);
      // A token of acme means nothing at other.
      const acmeTokens = await redeem(await code(app));
      const userinfo = await fetch(`${otherIssuer}/userinfo`, { headers: { authorization: `Bearer ${String(acmeTokens.json.access_token)}` } });
      expect(userinfo.status).toBe(401);
      // A client of other cannot redeem acme's code at other.
      const otherClient = await seedClient(db, other.org.id, { consentRequired: false });
      const acmeCode = await code(app);
      const stolen = await fetch(`${otherIssuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(otherClient) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: acmeCode, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER }).toString(),
      });
      expect(((await stolen.json()) as Record<string, unknown>).error).toBe('invalid_grant');
      expect((await redeem(acmeCode)).status).toBe(200);
    });
  });
});

// Regression (security review of issue 9 item 7, finding 1): a client's usual networks, from which
// its right secret is let through while others' failures lock its id out, lived in one process's
// memory: lost at every restart or deploy and unknown to a second process, so anyone knowing a
// client id (it is in every authorization URL) locked the client out of the token endpoint. They
// are kept on the client's row now, as keyed pseudonyms of networks.
describe.each(DIALECTS)("a client's usual networks on %s: in the store, shared by server processes, kept across restarts", (dialect) => {
  const rootKey = randomBytes(32);
  let now = Date.now();
  const clock = (): number => now;
  let store: TestStore;
  const servers: TestServer[] = [];
  let orgId: string;
  const { failuresPerClient } = CLIENT_AUTH_THROTTLE_LIMITS;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    orgId = (await seedOrg(store.storage.db, 'acme')).org.id;
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await store?.dispose();
  });

  /** A server process of the installation: its store and root key, its own memory. */
  const startProcess = async (): Promise<TestServer> => {
    const server = await startTestServer(dialect, { clock, rootKey, store });
    servers.push(server);
    return server;
  };
  const serviceClient = () => seedClient(store.storage.db, orgId, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read', consentRequired: false });
  const tokenAt = async (server: TestServer, client: TestClient, from: string): Promise<number> => {
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const response = await fetch(`${server.url}/o/acme/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic, 'x-forwarded-for': from }, body: 'grant_type=client_credentials' });
    await response.arrayBuffer();
    return response.status;
  };
  const lockOut = async (server: TestServer, client: TestClient, from: string): Promise<void> => {
    for (let i = 0; i < failuresPerClient; i++) expect(await tokenAt(server, { clientId: client.clientId, clientSecret: 'gsec_wrong' }, from)).toBe(401);
  };
  const storedRow = (clientId: string) => store.storage.db.selectFrom('clients').select(['auth_networks', 'updated_at']).where('id', '=', clientId).executeTakeFirstOrThrow();

  it('let the right secret through at another process, from the network it authenticated from at the first, while the client is locked out', async () => {
    const [first, second] = [await startProcess(), await startProcess()];
    const client = await serviceClient();
    const before = await storedRow(client.clientId);
    expect(await tokenAt(first, client, '2001:db8:60:1::10')).toBe(200);
    // Stored as a pseudonym of the /64 with its time, never the address; the settings' version untouched.
    const after = await storedRow(client.clientId);
    expect(JSON.parse(after.auth_networks)).toEqual([{ network: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), last_seen_ms: now }]);
    expect(after.auth_networks).not.toContain('2001');
    expect(after.updated_at).toBe(before.updated_at);

    await lockOut(second, client, '203.0.113.60');
    expect(await tokenAt(second, client, '198.51.100.60')).toBe(429);
    expect(await tokenAt(second, client, '2001:db8:60:1:abcd::1')).toBe(200);
    expect(await tokenAt(first, client, '198.51.100.60')).toBe(200); // the first process saw none of the failures
  });

  it('keep them across a restart: a fresh process knows the usual network of a client it never saw', async () => {
    const client = await serviceClient();
    const before = await startProcess();
    expect(await tokenAt(before, client, '192.0.2.61')).toBe(200);
    await before.close();
    servers.splice(servers.indexOf(before), 1);
    const restarted = await startProcess();
    await lockOut(restarted, client, '203.0.113.61');
    expect(await tokenAt(restarted, client, '198.51.100.61')).toBe(429);
    expect(await tokenAt(restarted, client, '192.0.2.61')).toBe(200);
  });

  it('write a network at its first success, then again only once it is a day old', async () => {
    const server = await startProcess();
    const client = await serviceClient();
    expect(await tokenAt(server, client, '192.0.2.62')).toBe(200);
    const written = (await storedRow(client.clientId)).auth_networks;
    now += 3_600_000;
    expect(await tokenAt(server, client, '192.0.2.62')).toBe(200);
    expect((await storedRow(client.clientId)).auth_networks).toBe(written);
    now += 24 * 3_600_000;
    expect(await tokenAt(server, client, '192.0.2.62')).toBe(200);
    expect(JSON.parse((await storedRow(client.clientId)).auth_networks)).toEqual([{ network: expect.any(String), last_seen_ms: now }]);
    // A second network joins the first, newest first.
    expect(await tokenAt(server, client, '192.0.2.63')).toBe(200);
    expect(JSON.parse((await storedRow(client.clientId)).auth_networks)).toHaveLength(2);
  });
});
