import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { hubProviderConfiguration, signInWithAButton } from './helpers/oidc-upstream.ts';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSignInToken } from '../src/connectors/signin-tokens.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// The seed's connect flow (issue 11) as a partner's page lives it, in Debian's chromium: the
// partner opens the connect URL in a popup, the person signs in at the provider (oidc-provider
// from npm, behind the openid-connect entry) by clicking its page, and the partner's window hears
// the result through postMessage from Gatehouse's origin. A popup, not an iframe: gh_browser is
// SameSite=Lax, which a cross-site frame would not send back.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLIENT_SECRET = randomBytes(32).toString('base64url');
/** How long a step of the flow may take before the test says what it was waiting for. */
const STEP_MS = 15_000;

/** The partner's page of the guide (docs/guides/connectors-partner-page.html), served by this test so the snippet cannot rot. */
const PARTNER_PAGE = readFileSync(join(import.meta.dirname, '..', 'docs', 'guides', 'connectors-partner-page.html'), 'utf8');
const CONNECT_URL_ATTRIBUTE = /data-connect-url="[^"]*"/;
const GATEHOUSE_ORIGIN_LINE = /var GATEHOUSE_ORIGIN = '[^']*';/;

/**
 * The guide's page as a partner's server fills it in: the connect URL (`?connect=`) and
 * Gatehouse's origin. A recorder added after it keeps every message the window hears, with its
 * origin, whatever the snippet does with it: what the assertions read.
 */
function partnerPage(connectUrl: string, gatehouseOrigin: string): string {
  if (!CONNECT_URL_ATTRIBUTE.test(PARTNER_PAGE) || !GATEHOUSE_ORIGIN_LINE.test(PARTNER_PAGE)) throw new Error('connectors-partner-page.html lost its data-connect-url or GATEHOUSE_ORIGIN');
  const attribute = connectUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const recorder = `<script>
  window.received = [];
  window.addEventListener('message', function (event) { window.received.push({ origin: event.origin, data: event.data }); });
</script>`;
  return PARTNER_PAGE.replace(CONNECT_URL_ATTRIBUTE, () => `data-connect-url="${attribute}"`)
    .replace(GATEHOUSE_ORIGIN_LINE, () => `var GATEHOUSE_ORIGIN = ${JSON.stringify(gatehouseOrigin)};`)
    .replace('</body>', () => `${recorder}\n</body>`);
}

/** Starts `server` on an ephemeral loopback port; returns its origin. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function partnerServer(gatehouseOrigin: string): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://partner');
    const path = url.pathname;
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(partnerPage(url.searchParams.get('connect') ?? '', gatehouseOrigin));
    else if (path === '/connected') response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Connected</title><p id="landed">back at the partner</p>');
    else response.writeHead(404).end();
  });
}

describe.each(DIALECTS)('the connect flow in a real browser on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let apiKey: string;
  let browser: Browser;
  let issuer = '';
  let partner: Server;
  let partnerOrigin = '';
  let stranger: Server;
  let strangerOrigin = '';
  let upstream: Server;
  const sockets = new Set<Socket>();
  const issuedTokens: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
    }
    server = await startTestServer(dialect, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, Date.now, { slug: 'acme' })).id;
    apiKey = (await createStaffUser(db, Date.now, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;

    partner = partnerServer(new URL(server.url).origin);
    partnerOrigin = await listen(partner);
    stranger = partnerServer(new URL(server.url).origin);
    strangerOrigin = await listen(stranger);

    upstream = createServer();
    upstream.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    issuer = await listen(upstream);
    const provider = new Provider(issuer, hubProviderConfiguration(`${server.url}/o/acme/connectorauth/callback`, CLIENT_SECRET));
    const handle = provider.callback();
    upstream.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.startsWith('/interaction/') === true) {
        signInWithAButton(provider, request, response).catch(() => response.headersSent || response.writeHead(400).end());
      } else {
        handle(request, response);
      }
    });

    expect((await api('PATCH', '/org', { connect_target_origins: [partnerOrigin] })).status).toBe(200);
    expect((await api('POST', '/accounts', { id: 'cust-1', name: 'Customer one' })).status).toBe(201);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    for (const secret of [CLIENT_SECRET, ...issuedTokens]) expect(JSON.stringify(server.logs)).not.toContain(secret);
    await browser?.close();
    for (const socket of sockets) socket.destroy();
    await Promise.all([upstream, partner, stranger].map((s) => new Promise((resolve) => (s === undefined ? resolve(undefined) : s.close(resolve)))));
    await server?.close();
  });


  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`acme:${apiKey}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  }

  let appConnectorId: string | undefined;
  async function newConnector(): Promise<string> {
    if (appConnectorId === undefined) {
      const app = await api('POST', '/app-connectors', { provider: 'openid-connect', name: 'Test IdP', client_id: 'gatehouse-hub', client_secret: CLIENT_SECRET, scopes: ['openid'], config: { issuer } });
      expect(app.status, JSON.stringify(app.json)).toBe(201);
      appConnectorId = String(app.json!['id']);
    }
    const created = await api('POST', '/accounts/cust-1/connectors', { app_connector_id: appConnectorId });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return String(created.json!['id']);
  }

  async function connectUrl(id: string, targetOrigin: string, callbackMessage?: string): Promise<string> {
    const issued = await issueSignInToken(server.store.storage.db, Date.now, orgId, 'cust-1', 'alice@customer.example');
    issuedTokens.push(issued.token);
    const params = new URLSearchParams({ id, token: issued.token, targetOrigin });
    if (callbackMessage !== undefined) params.set('callbackMessage', callbackMessage);
    return `${server.url}/o/acme/connectorauth/updateaccountconnectoroauth?${params.toString()}`;
  }

  /** Opens `origin`'s partner page and clicks its button, which opens `url` in a popup. */
  async function openInPopup(origin: string, url: string): Promise<{ page: Page; popup: Page }> {
    const page = await browser.newPage();
    await page.goto(`${origin}/?${new URLSearchParams({ connect: url }).toString()}`);
    const [popup] = await Promise.all([page.waitForEvent('popup', { timeout: STEP_MS }), page.getByRole('button', { name: 'Connect your account' }).click()]);
    return { page, popup };
  }

  async function received(page: Page): Promise<Array<{ origin: string; data: unknown }>> {
    return page.evaluate(() => (globalThis as unknown as { received: Array<{ origin: string; data: unknown }> }).received);
  }

  it('a partner at an allowed origin opens the flow in a popup, the person signs in at the provider, and the partner hears `completed` from Gatehouse', async () => {
    const id = await newConnector();
    const { page, popup } = await openInPopup(partnerOrigin, await connectUrl(id, partnerOrigin, 'completed'));
    await popup.getByRole('button', { name: 'Sign in at the provider' }).click({ timeout: STEP_MS });
    // The result page posts and closes itself; the message is what the partner waits for.
    await page.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length > 0, undefined, { timeout: STEP_MS });
    expect(await received(page)).toEqual([{ origin: new URL(server.url).origin, data: 'completed' }]);
    // The guide's snippet heard it too, from Gatehouse's origin.
    expect(await page.locator('#status').textContent()).toBe('Connected.');
    // It may have closed before the message was read here.
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: STEP_MS });
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'authenticated' });
    await page.close();
  });

  it('a page at an origin not allowed gets the error page in its popup and hears nothing', async () => {
    const id = await newConnector();
    const { page, popup } = await openInPopup(strangerOrigin, await connectUrl(id, strangerOrigin, 'completed'));
    await expect.poll(() => popup.locator('body').textContent(), { timeout: STEP_MS }).toContain('Destination not allowed');
    expect(popup.url().startsWith(`${server.url}/o/acme/connectorauth/updateaccountconnectoroauth?`)).toBe(true);
    // The error page has no script (CSP and body): once it has loaded, nothing is on its way.
    await popup.waitForLoadState('load');
    expect(await received(page)).toEqual([]);
    expect(await page.locator('#status').textContent()).toBe('Waiting for the provider…');
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'unauthenticated' });
    await page.close();
  });

  it("a page at an origin not allowed that names the partner's origin as targetOrigin runs the flow but hears nothing: the browser delivers the message only to that origin", async () => {
    const id = await newConnector();
    const { page, popup } = await openInPopup(strangerOrigin, await connectUrl(id, partnerOrigin, 'completed'));
    await popup.getByRole('button', { name: 'Sign in at the provider' }).click({ timeout: STEP_MS });
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: STEP_MS });
    // The result page posted before it closed; a marker the page posts to itself now arrives after
    // anything that was on its way, so an empty list before the marker is a real "nothing". The
    // marker is a forged `completed`, which the guide's snippet must ignore: not Gatehouse's origin.
    await page.evaluate((origin) => (globalThis as unknown as { postMessage: (message: string, targetOrigin: string) => void }).postMessage('completed', origin), strangerOrigin);
    await page.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length > 0, undefined, { timeout: STEP_MS });
    expect(await received(page)).toEqual([{ origin: strangerOrigin, data: 'completed' }]);
    expect(await page.locator('#status').textContent()).toBe('Waiting for the provider…');
    // The flow did end on the result page (the token holder signed in): only the message went nowhere.
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'authenticated' });
    await page.close();
  });

  it('the redirect variant (no callbackMessage) lands the browser on targetOrigin', async () => {
    const id = await newConnector();
    const page = await browser.newPage();
    await page.goto(await connectUrl(id, `${partnerOrigin}/connected`));
    await page.getByRole('button', { name: 'Sign in at the provider' }).click({ timeout: STEP_MS });
    await page.waitForURL(`${partnerOrigin}/connected`, { timeout: STEP_MS });
    expect(await page.locator('#landed').textContent()).toBe('back at the partner');
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'authenticated' });
    await page.close();
  });
});
