import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeSignInToken, SIGN_IN_TOKEN_TTL_MS } from '../src/connectors/signin-tokens.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { gatehouse, onlyJson } from './helpers/cli.ts';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, PASSWORD, REDIRECT_URI, seedClient, seedOrg, VERIFIER } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// The seed's first step, POST /o/<slug>/v1.0/accounts/{AccountId}/signintoken, through a real
// server: a client_credentials token with the connectors scope (made with the CLI as the issue
// says, opaque and JWT) or a staff API key with connectors:write; every refusal with its status,
// challenge and JSON error; the token it answers used once by the connect flow's domain call.

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe.each(DIALECTS)('sign-in token endpoint on %s', (dialect) => {
  let server: TestServer;
  let now = Date.now();
  const clock = () => now;
  let orgId: string;
  let ownerKey: string;
  let developerKey: string;
  let readOnlyKey: string;
  let otherOrgKey: string;
  let connectorsToken: string;
  let jwtConnectorsToken: string;
  let otherScopeToken: string;
  let otherOrgToken: string;

  async function serviceToken(slug: string, clientId: string, secret: string): Promise<string> {
    const response = await fetch(`${server.url}/o/${slug}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { access_token: string };
    return json.access_token;
  }

  async function signIn(accountId: string, body: unknown, headers: Record<string, string>, slug = 'acme') {
    const response = await fetch(`${server.url}/o/${slug}/v1.0/accounts/${encodeURIComponent(accountId)}/signintoken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: (text === '' ? {} : JSON.parse(text)) as Record<string, any> };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock });
    const db = server.store.storage.db;
    orgId = (await seedOrg(db, 'acme')).org.id;
    const otherOrgId = (await seedOrg(db, 'other')).org.id;
    ownerKey = (await createStaffUser(db, clock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    developerKey = (await createStaffUser(db, clock, orgId, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    readOnlyKey = (await createStaffUser(db, clock, orgId, { email: 'ro@acme.example', role: 'read_only', withApiKey: true })).apiKey!;
    otherOrgKey = (await createStaffUser(db, clock, otherOrgId, { email: 'dev@other.example', role: 'developer', withApiKey: true })).apiKey!;
    for (const [key, slug, id] of [[ownerKey, 'acme', 'cust-1'], [otherOrgKey, 'other', 'theirs']] as const) {
      const response = await fetch(`${server.url}/api/v2/accounts`, { method: 'POST', headers: { authorization: basic(slug, key), 'content-type': 'application/json' }, body: JSON.stringify({ id, name: id }) });
      expect(response.status).toBe(201);
    }

    // As the issue says: `gatehouse client create --grant client_credentials --scope connectors`.
    const created = onlyJson(await gatehouse(['client', 'create', '--org', 'acme', '--name', 'Partner backend', '--grant', 'client_credentials', '--scope', 'connectors', '--json'], { ...server.store.env, PUBLIC_URL: server.url }));
    expect(created).toMatchObject({ client_id: expect.any(String), client_secret: expect.any(String) });
    connectorsToken = await serviceToken('acme', String(created.client_id), String(created.client_secret));
    const service = { clientType: 'confidential', grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [] } as const;
    const jwtClient = await seedClient(db, orgId, { ...service, scope: 'connectors', accessTokenFormat: 'jwt' });
    jwtConnectorsToken = await serviceToken('acme', jwtClient.clientId, jwtClient.clientSecret!);
    expect(jwtConnectorsToken.split('.')).toHaveLength(3);
    const otherScope = await seedClient(db, orgId, { ...service, scope: 'crm.sync' });
    otherScopeToken = await serviceToken('acme', otherScope.clientId, otherScope.clientSecret!);
    const otherOrgClient = await seedClient(db, otherOrgId, { ...service, scope: 'connectors' });
    otherOrgToken = await serviceToken('other', otherOrgClient.clientId, otherOrgClient.clientSecret!);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers the seed\'s {"Token", "ExpiresAtUtc"} to a client_credentials token with the connectors scope, and the token is used once', async () => {
    const answer = await signIn('cust-1', { Username: 'example_user' }, bearer(connectorsToken));
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json).sort()).toEqual(['ExpiresAtUtc', 'Token']);
    expect(answer.json.Token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(answer.json.ExpiresAtUtc).toBe(new Date(now + SIGN_IN_TOKEN_TTL_MS).toISOString());
    expect(answer.json.ExpiresAtUtc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const db = server.store.storage.db;
    expect(await consumeSignInToken(db, clock, orgId, answer.json.Token)).toMatchObject({ accepted: true, accountId: 'cust-1' });
    expect(await consumeSignInToken(db, clock, orgId, answer.json.Token)).toEqual({ accepted: false, refusal: 'used' });
  });

  it('takes a JWT access token of a client with the connectors scope', async () => {
    expect((await signIn('cust-1', { Username: 'example_user' }, bearer(jwtConnectorsToken))).status).toBe(200);
  });

  it('takes Basic orgId:apiKey (or the slug) of a key whose role has connectors:write', async () => {
    expect((await signIn('cust-1', { Username: 'example_user' }, { authorization: basic(orgId, developerKey) })).status).toBe(200);
    expect((await signIn('cust-1', { Username: 'example_user' }, { authorization: basic('acme', developerKey) })).status).toBe(200);
  });

  it('creates an unknown username\'s user once, and records who asked without the token', async () => {
    const first = await signIn('cust-1', { Username: 'new.person@partner.example' }, bearer(connectorsToken));
    const second = await signIn('cust-1', { Username: 'new.person@partner.example' }, { authorization: basic('acme', developerKey) });
    expect([first.status, second.status]).toEqual([200, 200]);
    const db = server.store.storage.db;
    const users = await db.selectFrom('connector_account_users').select(['id', 'username']).where('org_id', '=', orgId).where('username', '=', 'new.person@partner.example').execute();
    expect(users).toHaveLength(1);
    const events = await db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).where('action', '=', 'connector.signin_token_issued').orderBy('occurred_at').execute();
    const mine = events.map((e) => ({ ...e, details: JSON.parse(e.details) as Record<string, unknown> })).filter((e) => e.details.user_id === users[0]!.id);
    // Both in the same millisecond of the frozen clock: told apart by who asked.
    expect(mine.map((e) => [e.actor_type, e.target_type, e.target_id, e.details.user_created]).sort()).toEqual([
      ['api_key', 'connector_account', 'cust-1', false],
      ['client', 'connector_account', 'cust-1', true],
    ]);
    const everything = JSON.stringify(events) + JSON.stringify(server.logs);
    for (const secret of [first.json.Token, second.json.Token, connectorsToken, developerKey]) expect(everything).not.toContain(secret);
  });

  it('refuses no credentials, or another scheme, with 401 and both challenges', async () => {
    for (const headers of [{}, { authorization: 'Digest username="x"' }] as Array<Record<string, string>>) {
      const answer = await signIn('cust-1', { Username: 'u' }, headers);
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe('unauthorized');
      expect(answer.json.error.message).toContain('Bearer');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="Gatehouse", Basic realm="Gatehouse API", charset="UTF-8"');
    }
  });

  it('refuses a bad, revoked or other org\'s Bearer token with 401 invalid_token (RFC 6750 §3.1)', async () => {
    const revocable = await seedClient(server.store.storage.db, orgId, { clientType: 'confidential', grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], scope: 'connectors' });
    const revoked = await serviceToken('acme', revocable.clientId, revocable.clientSecret!);
    const revocation = await fetch(`${server.url}/o/acme/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(revocable.clientId, revocable.clientSecret!) }, body: `token=${revoked}` });
    expect(revocation.status).toBe(200);
    for (const token of ['junk', connectorsToken.slice(0, -1), revoked, otherOrgToken]) {
      const answer = await signIn('cust-1', { Username: 'u' }, bearer(token));
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe('invalid_token');
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="Gatehouse", error="invalid_token", error_description="[^"]+"$/);
    }
    // The other org's token works in its own org.
    expect((await signIn('theirs', { Username: 'u' }, bearer(otherOrgToken), 'other')).status).toBe(200);
  });

  it('refuses a constituent\'s access token, even one granted the connectors scope: it acts for a person, not for the client', async () => {
    const app = await seedClient(server.store.storage.db, orgId, { grantTypes: ['authorization_code'], scope: 'openid connectors', consentRequired: false });
    const params = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'openid connectors', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const callback = await signInThroughPages(new TestBrowser(), `${server.url}/o/acme/authorize?${params}`, server.url, { username: 'alice', password: PASSWORD });
    const code = new URL(callback).searchParams.get('code')!;
    const exchange = await fetch(`${server.url}/o/acme/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app.clientId, app.clientSecret!) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER }).toString(),
    });
    const tokens = (await exchange.json()) as { access_token: string; scope: string };
    expect(tokens.scope).toBe('openid connectors');
    const answer = await signIn('cust-1', { Username: 'u' }, bearer(tokens.access_token));
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('invalid_token');
  });

  it('refuses the token of a client suspended since', async () => {
    const suspended = await seedClient(server.store.storage.db, orgId, { clientType: 'confidential', grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], scope: 'connectors' });
    const token = await serviceToken('acme', suspended.clientId, suspended.clientSecret!);
    expect((await signIn('cust-1', { Username: 'u' }, bearer(token))).status).toBe(200);
    const suspension = await fetch(`${server.url}/api/v2/clients/${suspended.clientId}/suspend`, { method: 'POST', headers: { authorization: basic('acme', ownerKey), 'content-type': 'application/json' }, body: '{}' });
    expect(suspension.status).toBe(200);
    expect((await signIn('cust-1', { Username: 'u' }, bearer(token))).json.error.code).toBe('invalid_token');
  });

  it('refuses an access token without the connectors scope with 403 insufficient_scope', async () => {
    const answer = await signIn('cust-1', { Username: 'u' }, bearer(otherScopeToken));
    expect(answer.status).toBe(403);
    expect(answer.json.error).toEqual({ code: 'insufficient_scope', message: 'The access token was not granted the connectors scope.' });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="Gatehouse", error="insufficient_scope", scope="connectors", error_description="The access token was not granted the connectors scope."');
  });

  it('refuses a wrong key or another org\'s key with 401, a key without connectors:write with 403', async () => {
    for (const authorization of [basic('acme', `${developerKey}x`), basic('acme', otherOrgKey), basic('other', otherOrgKey), 'Basic !!!']) {
      const answer = await signIn('cust-1', { Username: 'u' }, { authorization });
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe('unauthorized');
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Gatehouse API", charset="UTF-8"');
    }
    const readOnly = await signIn('cust-1', { Username: 'u' }, { authorization: basic('acme', readOnlyKey) });
    expect(readOnly.status).toBe(403);
    expect(readOnly.json.error).toEqual({ code: 'forbidden', message: "This API key's user lacks the connectors:write permission." });
  });

  it('answers 404 for an unknown account and for another org\'s, creating no user', async () => {
    // NUL: no account has it, and PostgreSQL text could not even hold it.
    for (const accountId of ['nobody', 'theirs', 'a\u0000b']) {
      const answer = await signIn(accountId, { Username: 'ghost' }, bearer(connectorsToken));
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({ error: { code: 'not_found', message: 'Account not found.' } });
    }
    expect(await server.store.storage.db.selectFrom('connector_account_users').select('id').where('username', '=', 'ghost').execute()).toEqual([]);
  });

  it('answers 400 naming the field for a bad body, after authentication', async () => {
    const cases: Array<[unknown, Array<{ field: string; message: string }>]> = [
      [{}, [{ field: 'Username', message: 'is required' }]],
      [{ Username: '' }, [{ field: 'Username', message: 'must be 1 to 200 characters without control characters' }]],
      [{ Username: 'x'.repeat(201) }, [{ field: 'Username', message: 'must be 1 to 200 characters without control characters' }]],
      [{ Username: 'a\u0007b' }, [{ field: 'Username', message: 'must be 1 to 200 characters without control characters' }]],
      [{ Username: 5 }, [{ field: 'Username', message: 'must be a string' }]],
      [{ username: 'u' }, [{ field: 'Username', message: 'is required' }, { field: 'username', message: 'is not a known field' }]],
      [[], [{ field: 'body', message: 'must be a JSON object: {"Username": "…"}' }]],
    ];
    for (const [body, fields] of cases) {
      const answer = await signIn('cust-1', body, bearer(connectorsToken));
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error.code).toBe('validation_failed');
      expect(answer.json.error.fields).toEqual(fields);
    }
    expect((await signIn('cust-1', '{"Username": ', bearer(connectorsToken))).status).toBe(400);
    // Unauthenticated, a bad body is not judged.
    expect((await signIn('cust-1', {}, {})).status).toBe(401);
  });

  it('takes JSON only, and refuses requests a page of another site sent', async () => {
    const form = await fetch(`${server.url}/o/acme/v1.0/accounts/cust-1/signintoken`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...bearer(connectorsToken) }, body: 'Username=u' });
    expect(form.status).toBe(415);
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Array<Record<string, string>>) {
      const answer = await signIn('cust-1', { Username: 'u' }, { ...bearer(connectorsToken), ...headers });
      expect(answer.status).toBe(403);
      expect(answer.json.error.code).toBe('cross_site_request');
    }
  });

  it('answers 404 for an unknown organization', async () => {
    expect((await signIn('cust-1', { Username: 'u' }, bearer(connectorsToken), 'nope')).status).toBe(404);
  });

  it('gives tokens of which, used ten times at once, one is accepted; and which expire after five minutes', async () => {
    const answer = await signIn('cust-1', { Username: 'racer' }, bearer(connectorsToken));
    const db = server.store.storage.db;
    const uses = await Promise.all(Array.from({ length: 10 }, () => consumeSignInToken(db, clock, orgId, answer.json.Token)));
    expect(uses.filter((use) => use.accepted)).toHaveLength(1);
    const late = await signIn('cust-1', { Username: 'racer' }, bearer(connectorsToken));
    now += SIGN_IN_TOKEN_TTL_MS;
    expect(await consumeSignInToken(db, clock, orgId, late.json.Token)).toEqual({ accepted: false, refusal: 'expired' });
  });
});
