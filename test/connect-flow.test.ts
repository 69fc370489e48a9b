import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import Provider from 'oidc-provider';
import { hubProviderConfiguration } from './helpers/oidc-upstream.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountConnectorCredentialsAad } from '../src/connectors/connector.ts';
import { credentialsFromJson } from '../src/connectors/credentials-codec.ts';
import { purgeExpiredConnectorRows } from '../src/connectors/purge.ts';
import { issueSignInToken } from '../src/connectors/signin-tokens.ts';
import { createVault, type Vault } from '../src/connectors/vault/vault.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// The seed's hosted connect flow (issue 11, "The seed's contract", step 2) through a real server
// on each store and a real provider: oidc-provider from npm, reached through the generic
// openid-connect entry (discovery, PKCE, Basic client auth). The browser is played by fetch with
// a cookie jar, following redirects by hand; the page's script is asserted, not run (the
// chromium test runs it).

const PARTNER = 'https://partner.example';
const OTHER_ORIGIN = 'https://evil.example';
const CLIENT_SECRET = randomBytes(32).toString('base64url');

/** A browser's cookies, per origin (ports apart: enough here, stricter than a browser). */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();

  async get(url: string): Promise<Response> {
    const origin = new URL(url).origin;
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    this.jar.set(origin, cookies);
    return response;
  }

  /** Follows redirects until one leaves for `stopAt` (returned, not followed), or an answer that is not a redirect. */
  async follow(url: string, stopAt: string): Promise<{ response: Response; url: string }> {
    let next = url;
    for (let hop = 0; hop < 12; hop += 1) {
      const response = await this.get(next);
      const location = response.headers.get('location');
      if (location === null) return { response, url: next };
      const target = new URL(location, next).href;
      if (target.startsWith(stopAt)) return { response, url: target };
      next = target;
    }
    throw new Error('too many redirects');
  }
}

describe.each(DIALECTS)('the hosted connect flow on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let skewMs = 0;
  const clock = (): number => Date.now() + skewMs;
  let server: TestServer;
  let vault: Vault;
  let orgId: string;
  let apiKey: string;
  let issuer = '';
  /** What the provider's sign-in does: sign the user in, or refuse (access_denied). */
  let providerAnswer: 'sign_in' | 'deny' = 'sign_in';
  const sockets = new Set<Socket>();
  let upstreamServer: Server;

  beforeAll(async () => {
    server = await startTestServer(dialect, { rootKey, clock, env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    const db = server.store.storage.db;
    vault = createVault(db, createSealer(rootKey), clock);
    orgId = (await createOrganization(db, clock, { slug: 'acme' })).id;
    apiKey = (await createStaffUser(db, clock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;

    upstreamServer = createServer();
    upstreamServer.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => upstreamServer.listen(0, '127.0.0.1', resolve));
    const address = upstreamServer.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    issuer = `http://127.0.0.1:${address.port}`;
    const provider = new Provider(issuer, hubProviderConfiguration(`${server.url}/o/acme/connectorauth/callback`, CLIENT_SECRET));
    const handle = provider.callback();
    upstreamServer.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.startsWith('/interaction/') === true) {
        interact(provider, request, response).catch(() => response.headersSent || response.writeHead(400).end());
      } else {
        handle(request, response);
      }
    });

    expect((await api('PATCH', '/org', { connect_target_origins: [PARTNER] })).status).toBe(200);
    expect((await api('POST', '/accounts', { id: 'cust-1', name: 'Customer one' })).status).toBe(201);
    expect((await api('POST', '/accounts', { id: 'cust-2', name: 'Customer two' })).status).toBe(201);
  });

  afterAll(async () => {
    // Nothing secret in any log line: no client secret, no sign-in token, no provider token.
    expect(JSON.stringify(server.logs)).not.toContain(CLIENT_SECRET);
    for (const secret of issuedTokens) expect(JSON.stringify(server.logs)).not.toContain(secret);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => upstreamServer?.close(resolve));
    await server?.close();
  });

  async function interact(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(request, response);
    if (providerAnswer === 'deny') {
      await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'The user refused' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: 'user-1', clientId: String(details.params['client_id']) });
    grant.addOIDCScope(String(details.params['scope'] ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(request, response, { login: { accountId: 'user-1' }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`acme:${apiKey}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  let appConnectorId: string | undefined;
  async function oidcConnector(accountId = 'cust-1'): Promise<string> {
    if (appConnectorId === undefined) {
      const app = await api('POST', '/app-connectors', { provider: 'openid-connect', name: 'Test IdP', client_id: 'gatehouse-hub', client_secret: CLIENT_SECRET, scopes: ['openid'], config: { issuer } });
      expect(app.status, JSON.stringify(app.json)).toBe(201);
      appConnectorId = app.json!.id as string;
    }
    const created = await api('POST', `/accounts/${accountId}/connectors`, { app_connector_id: appConnectorId });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return created.json!.id as string;
  }

  const issuedTokens: string[] = [];
  async function signInToken(accountId = 'cust-1'): Promise<string> {
    const issued = await issueSignInToken(server.store.storage.db, clock, orgId, accountId, 'alice@customer.example');
    issuedTokens.push(issued.token);
    return issued.token;
  }

  function startUrl(params: Record<string, string>): string {
    return `${server.url}/o/acme/connectorauth/updateaccountconnectoroauth?${new URLSearchParams(params).toString()}`;
  }

  /** Starts the flow and follows the provider until it sends the browser back to our callback (not followed). */
  async function toCallback(browser: Browser, params: Record<string, string>): Promise<string> {
    const start = await browser.get(startUrl(params));
    expect(start.status, await start.clone().text()).toBe(303);
    const location = start.headers.get('location')!;
    expect(location.startsWith(`${issuer}/auth?`)).toBe(true);
    const back = await browser.follow(location, `${server.url}/o/acme/connectorauth/callback`);
    expect(back.url.startsWith(`${server.url}/o/acme/connectorauth/callback?`), back.url).toBe(true);
    return back.url;
  }

  async function connectorRow(id: string) {
    return (await server.store.storage.db.selectFrom('account_connectors').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  }

  async function auditActions(connectorId: string): Promise<string[]> {
    const rows = await server.store.storage.db.selectFrom('audit_events').select(['action']).where('target_id', '=', connectorId).orderBy('occurred_at').execute();
    return rows.map((r) => r.action);
  }

  function expectRefusedPage(response: Response, status: number): void {
    expect(response.status).toBe(status);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  }

  it('redirect variant: authorizes at the provider with state and S256, exchanges the code, seals the tokens and 303s to targetOrigin', async () => {
    const id = await oidcConnector();
    const browser = new Browser();
    const start = await browser.get(startUrl({ id, token: await signInToken(), targetOrigin: `${PARTNER}/connected?x=1` }));
    expect(start.status).toBe(303);
    const authorization = new URL(start.headers.get('location')!);
    expect(authorization.searchParams.get('client_id')).toBe('gatehouse-hub');
    expect(authorization.searchParams.get('redirect_uri')).toBe(`${server.url}/o/acme/connectorauth/callback`);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(start.headers.getSetCookie().join()).toMatch(/gh_browser=.*Path=\/o\/acme.*HttpOnly/i);

    const back = await browser.follow(authorization.href, `${server.url}/o/acme/connectorauth/callback`);
    const end = await browser.get(back.url);
    expect(end.status).toBe(303);
    expect(end.headers.get('location')).toBe(`${PARTNER}/connected?x=1`);

    const row = await connectorRow(id);
    expect(row.status).toBe('authenticated');
    expect(row.version).toBe(2);
    const credentials = credentialsFromJson(await vault.open(orgId, row.credentials!, accountConnectorCredentialsAad(id)));
    expect(credentials.accessToken.length).toBeGreaterThan(10);
    expect(credentials.refreshToken).not.toBeNull();
    expect(credentials.tokenType).toBe('Bearer');
    expect(await auditActions(id)).toEqual(['account_connector.created', 'account_connector.authenticated']);
    // Done by the account user the sign-in token was issued to (not by "the system").
    const user = await server.store.storage.db.selectFrom('connector_account_users').select('id').where('username', '=', 'alice@customer.example').where('account_id', '=', 'cust-1').executeTakeFirstOrThrow();
    const authenticated = await server.store.storage.db.selectFrom('audit_events').select(['actor_type', 'actor_id']).where('target_id', '=', id).where('action', '=', 'account_connector.authenticated').executeTakeFirstOrThrow();
    expect(authenticated).toEqual({ actor_type: 'account_user', actor_id: user.id });
    // Nothing of the attempt is left.
    expect(await server.store.storage.db.selectFrom('connector_auth_attempts').selectAll().where('account_connector_id', '=', id).execute()).toEqual([]);
    // The callback replayed: the attempt is gone.
    expectRefusedPage(await browser.get(back.url), 400);
  });

  it('postMessage variant: a page that posts callbackMessage to exactly targetOrigin from a nonce script, framed only by that origin', async () => {
    const id = await oidcConnector();
    const browser = new Browser();
    const callback = await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER, callbackMessage: 'connected "<b>"&' });
    const page = await browser.get(callback);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain(`frame-ancestors ${PARTNER}`);
    expect(csp).toContain("default-src 'none'");
    const body = await page.text();
    const scripts = [...body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toBe(` nonce="${nonce}"`);
    const script = scripts[0]![2]!;
    expect(script).toContain('window.opener || (window.parent !== window ? window.parent : null)');
    expect(script).toContain('target.postMessage(message, data.targetOrigin)');
    expect(script).toContain('window.close()');
    expect(script).not.toContain("'*'");
    expect(body).toContain(`data-message="connected &quot;&lt;b&gt;&quot;&amp;"`);
    expect(body).toContain(`data-target-origin="${PARTNER}"`);
    expect(body).not.toContain('data-error');
    expect((await connectorRow(id)).status).toBe('authenticated');
  });

  it('reconnecting keeps the connector id and replaces its credentials', async () => {
    const id = await oidcConnector();
    const tokens: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      const browser = new Browser();
      const end = await browser.get(await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER }));
      expect(end.status).toBe(303);
      const row = await connectorRow(id);
      tokens.push(credentialsFromJson(await vault.open(orgId, row.credentials!, accountConnectorCredentialsAad(id))).accessToken);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
    expect((await connectorRow(id)).version).toBe(3);
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'authenticated' });
  });

  it('announces connector.connected to the org\'s webhook endpoints, in the transaction that authenticates the connector, without any token (issue 12)', async () => {
    const endpoint = await api('POST', '/webhooks', { url: 'https://hooks.example.com/in', event_types: ['connector.connected'] });
    expect(endpoint.status).toBe(201);
    const outbox = async (connectorId: string) =>
      (await server.store.storage.db.selectFrom('webhook_messages').select('payload').where('event_type', '=', 'connector.connected').execute())
        .map((row) => JSON.parse(row.payload) as { data: Record<string, unknown> })
        .filter((message) => message.data.account_connector_id === connectorId);
    const id = await oidcConnector('cust-2');
    providerAnswer = 'deny';
    try {
      const browser = new Browser();
      expect((await browser.get(await toCallback(browser, { id, token: await signInToken('cust-2'), targetOrigin: PARTNER }))).status).toBe(303);
    } finally {
      providerAnswer = 'sign_in';
    }
    // A refused connection announces nothing.
    expect(await outbox(id)).toEqual([]);

    const browser = new Browser();
    expect((await browser.get(await toCallback(browser, { id, token: await signInToken('cust-2'), targetOrigin: PARTNER }))).status).toBe(303);
    const messages = await outbox(id);
    expect(messages.map((message) => message.data)).toEqual([{ account_connector_id: id, account_id: 'cust-2', app_connector_id: appConnectorId, name: 'Test IdP', account_user_id: expect.stringMatching(/^acu_/), reconnected: false }]);
    const row = await connectorRow(id);
    const { accessToken, refreshToken } = credentialsFromJson(await vault.open(orgId, row.credentials!, accountConnectorCredentialsAad(id)));
    expect(JSON.stringify(messages)).not.toContain(accessToken);
    expect(JSON.stringify(messages)).not.toContain(refreshToken);
    expect((await api('DELETE', `/webhooks/${endpoint.json!.id}`)).status).toBe(204);
  });

  it('the provider refusing (access_denied) ends with ?error= or a message object, the connector unchanged', async () => {
    const id = await oidcConnector();
    const before = await connectorRow(id);
    providerAnswer = 'deny';
    try {
      const browser = new Browser();
      const redirected = await browser.get(await toCallback(browser, { id, token: await signInToken(), targetOrigin: `${PARTNER}/done` }));
      expect(redirected.status).toBe(303);
      expect(redirected.headers.get('location')).toBe(`${PARTNER}/done?error=access_denied`);

      const posted = await browser.get(await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER, callbackMessage: 'hello' }));
      expect(posted.status).toBe(200);
      const body = await posted.text();
      expect(body).toContain('data-message="hello"');
      expect(body).toContain('data-error="access_denied"');
    } finally {
      providerAnswer = 'sign_in';
    }
    expect(await connectorRow(id)).toEqual(before);
    expect(await auditActions(id)).toEqual(['account_connector.created', 'account_connector.connect_failed', 'account_connector.connect_failed']);
  });

  it('a failed code exchange (a client secret the provider refuses) ends with error=upstream_rejected and the connector unchanged', async () => {
    const app = await api('POST', '/app-connectors', { provider: 'openid-connect', name: 'Soon wrong', client_id: 'gatehouse-hub', client_secret: CLIENT_SECRET, scopes: ['openid'], config: { issuer } });
    const id = (await api('POST', '/accounts/cust-1/connectors', { app_connector_id: app.json!.id })).json!.id as string;
    const before = await connectorRow(id);
    const browser = new Browser();
    const callback = await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER });
    expect((await api('PATCH', `/app-connectors/${app.json!.id}`, { client_secret: 'not-the-secret' })).status).toBe(200);
    const end = await browser.get(callback);
    expect(end.status).toBe(303);
    expect(end.headers.get('location')).toBe(`${PARTNER}/?error=upstream_rejected`);
    expect(await connectorRow(id)).toEqual(before);
  });

  describe('refusals at the start: a page, nothing redirected', () => {
    it('an unknown, a used and an expired token are 403', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      expectRefusedPage(await browser.get(startUrl({ id, token: 'not-a-token', targetOrigin: PARTNER })), 403);

      const token = await signInToken();
      expect((await browser.get(startUrl({ id, token, targetOrigin: PARTNER }))).status).toBe(303);
      const used = await browser.get(startUrl({ id, token, targetOrigin: PARTNER }));
      expectRefusedPage(used, 403);
      expect(await used.text()).toContain('This link is not valid');

      const expiring = await signInToken();
      skewMs = 6 * 60_000;
      try {
        expectRefusedPage(await browser.get(startUrl({ id, token: expiring, targetOrigin: PARTNER })), 403);
      } finally {
        skewMs = 0;
      }
    });

    it("a token of another account than the connector's is 403 and stays usable for its own; an unknown connector id is the same page", async () => {
      const mine = await oidcConnector('cust-1');
      const theirs = await oidcConnector('cust-2');
      const token = await signInToken('cust-2');
      const browser = new Browser();
      expectRefusedPage(await browser.get(startUrl({ id: mine, token, targetOrigin: PARTNER })), 403);
      expectRefusedPage(await browser.get(startUrl({ id: 'acn_nosuchconnector00000', token, targetOrigin: PARTNER })), 403);
      expect((await browser.get(startUrl({ id: theirs, token, targetOrigin: PARTNER }))).status).toBe(303);
    });

    it('a targetOrigin not allowed (another origin, a lookalike, user info, another scheme, not a URL) is an error page and leaves the token unused', async () => {
      const id = await oidcConnector();
      const token = await signInToken();
      const browser = new Browser();
      for (const targetOrigin of [OTHER_ORIGIN, 'https://partner.example.evil.example', 'http://partner.example', 'https://partner.example:444', 'https://user@partner.example', 'javascript:alert(1)', 'partner.example']) {
        const refused = await browser.get(startUrl({ id, token, targetOrigin }));
        expectRefusedPage(refused, 400);
        expect(await refused.text()).toContain('Destination not allowed');
      }
      expect((await browser.get(startUrl({ id, token, targetOrigin: `${PARTNER}/some/page` }))).status).toBe(303);
    });

    it('a provider that cannot be reached is a 502 page that leaves the token unused: the same link works once the provider is back', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise((resolve) => closed.close(resolve));
      const app = await api('POST', '/app-connectors', { provider: 'openid-connect', name: 'IdP down', client_id: 'gatehouse-hub', client_secret: CLIENT_SECRET, scopes: ['openid'], config: { issuer: `http://127.0.0.1:${port}` } });
      expect(app.status, JSON.stringify(app.json)).toBe(201);
      const created = await api('POST', '/accounts/cust-1/connectors', { app_connector_id: app.json!.id });
      const id = created.json!.id as string;
      const token = await signInToken();
      const browser = new Browser();
      const down = await browser.get(startUrl({ id, token, targetOrigin: PARTNER }));
      expectRefusedPage(down, 502);
      expect(await down.text()).toContain('Provider unavailable');
      expect((await api('PATCH', `/app-connectors/${app.json!.id}`, { config: { issuer } })).status).toBe(200);
      const retried = await browser.get(startUrl({ id, token, targetOrigin: PARTNER }));
      expect(retried.status, await retried.clone().text()).toBe(303);
      expectRefusedPage(await browser.get(startUrl({ id, token, targetOrigin: PARTNER })), 403);
    });

    it('missing or repeated parameters are 400; a connector of an api_key provider cannot be connected in the browser', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      expectRefusedPage(await browser.get(startUrl({ id, targetOrigin: PARTNER })), 400);
      expectRefusedPage(await browser.get(`${startUrl({ id, token: 'a', targetOrigin: PARTNER })}&token=b`), 400);
      // A callbackMessage longer than any token of completion: refused before the token is looked at.
      const token = await signInToken();
      expectRefusedPage(await browser.get(startUrl({ id, token, targetOrigin: PARTNER, callbackMessage: 'x'.repeat(1001) })), 400);
      expect((await browser.get(startUrl({ id, token, targetOrigin: PARTNER, callbackMessage: 'x'.repeat(1000) }))).status).toBe(303);

      const app = await api('POST', '/app-connectors', { provider: 'api-key', name: 'Keys', config: {} });
      expect(app.status, JSON.stringify(app.json)).toBe(201);
      const keyed = await api('POST', '/accounts/cust-1/connectors', { app_connector_id: app.json!.id });
      expect(keyed.status, JSON.stringify(keyed.json)).toBe(201);
      const refused = await browser.get(startUrl({ id: keyed.json!.id, token: await signInToken(), targetOrigin: PARTNER }));
      expectRefusedPage(refused, 400);
      expect(await refused.text()).toContain('Cannot connect');
    });
  });

  describe('refusals at the callback: a page, nothing redirected or posted, the connector unchanged', () => {
    it('a tampered state and a callback without any state', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      const callback = new URL(await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER }));
      const state = callback.searchParams.get('state')!;
      callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
      expectRefusedPage(await browser.get(callback.href), 400);
      callback.searchParams.delete('state');
      expectRefusedPage(await browser.get(callback.href), 400);
      expect((await connectorRow(id)).status).toBe('unauthenticated');
    });

    it('another browser is refused without spending the attempt, which then completes in its own', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      const callback = await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER });
      const refused = await new Browser().get(callback);
      expectRefusedPage(refused, 400);
      expect(await refused.text()).toContain('another browser');
      expect((await connectorRow(id)).status).toBe('unauthenticated');
      const end = await browser.get(callback);
      expect(end.status).toBe(303);
      expect((await connectorRow(id)).status).toBe('authenticated');
    });

    it('an attempt older than ten minutes is gone', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      const callback = await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER });
      skewMs = 11 * 60_000;
      try {
        expectRefusedPage(await browser.get(callback), 400);
      } finally {
        skewMs = 0;
      }
      expect((await connectorRow(id)).status).toBe('unauthenticated');
    });

    it('gatehouse purge deletes the attempts of browsers that never came back, and only those', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      expect((await browser.get(startUrl({ id, token: await signInToken(), targetOrigin: PARTNER }))).status).toBe(303);
      const db = server.store.storage.db;
      const pending = () => db.selectFrom('connector_auth_attempts').select('id').where('account_connector_id', '=', id).execute();
      expect(await pending()).toHaveLength(1);
      await purgeExpiredConnectorRows(db, clock);
      expect(await pending()).toHaveLength(1);
      const counts = await purgeExpiredConnectorRows(db, () => clock() + 11 * 60_000);
      expect(counts.connector_auth_attempts).toBeGreaterThanOrEqual(1);
      expect(await pending()).toEqual([]);
    });

    it('a connector disabled mid-flow is not authenticated (error=connector_unavailable); a disabled one cannot start', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      const callback = await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER });
      const db = server.store.storage.db;
      await db.updateTable('account_connectors').set({ status: 'disabled' }).where('id', '=', id).execute();
      const end = await browser.get(callback);
      expect(end.headers.get('location')).toBe(`${PARTNER}/?error=connector_unavailable`);
      expect((await connectorRow(id)).status).toBe('disabled');
      expectRefusedPage(await browser.get(startUrl({ id, token: await signInToken(), targetOrigin: PARTNER })), 400);
    });

    it('an origin removed from the allow-list since the start gets nothing', async () => {
      const id = await oidcConnector();
      const browser = new Browser();
      const callback = await toCallback(browser, { id, token: await signInToken(), targetOrigin: PARTNER, callbackMessage: 'hi' });
      expect((await api('PATCH', '/org', { connect_target_origins: ['https://other-partner.example'] })).status).toBe(200);
      try {
        const refused = await browser.get(callback);
        expectRefusedPage(refused, 400);
        expect(await refused.text()).not.toContain('postMessage');
      } finally {
        expect((await api('PATCH', '/org', { connect_target_origins: [PARTNER] })).status).toBe(200);
      }
      expect((await connectorRow(id)).status).toBe('unauthenticated');
    });
  });
});
