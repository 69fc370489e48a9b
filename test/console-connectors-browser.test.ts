import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePassword } from '../src/accounts/passwords.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization, updateOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { hubProviderConfiguration, signInWithAButton } from './helpers/oidc-upstream.ts';
import { CspWatch, judge, launchChromium } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// Cyclr's seed in Debian's chromium (issue 13): a staff admin installs the openid-connect provider
// from the application connector library, pointing at an oidc-provider upstream, creates an account
// and a connector, makes a connect link and sends it to a customer, whose browser signs in at the
// upstream and lands on the partner's origin; the console then shows the connector authenticated.
// Then the webhooks: a new endpoint (its secret copied), and a test message with its attempt.
// axe-core judges every page in light and dark; none scrolls sideways at 375 px. SQLite only:
// console-connectors.test.ts proves the server side on both stores.

const PASSWORD = 'a long staff passphrase';
const CLIENT_SECRET = randomBytes(32).toString('base64url');
const STEP_MS = 15_000;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

describe('the connectors and webhooks console in a real browser (SQLite)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let consoleUrl: string;
  let upstream: Server;
  let issuer = '';
  let partner: Server;
  let partnerOrigin = '';
  let receiver: Server;
  let receiverOrigin = '';
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite', { env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    const db = server.store.storage.db;

    partner = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Partner</title><p id="landed">back at the partner</p>'));
    partnerOrigin = await listen(partner);
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        response.writeHead(204).end();
      });
    });
    receiverOrigin = await listen(receiver);

    upstream = createServer();
    upstream.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    issuer = await listen(upstream);
    const provider = new Provider(issuer, hubProviderConfiguration(`${server.url}/o/riverside/connectorauth/callback`, CLIENT_SECRET));
    const handle = provider.callback();
    upstream.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.startsWith('/interaction/') === true) signInWithAButton(provider, request, response).catch(() => response.headersSent || response.writeHead(400).end());
      else handle(request, response);
    });

    const org = await createOrganization(db, systemClock, { slug: 'riverside', name: 'Riverside Food Bank' });
    // Before any request (the server caches the org): where the customer lands after connecting.
    await updateOrganization(db, systemClock, org.id, { connectTargetOrigins: [partnerOrigin] });
    await createStaffUser(db, systemClock, org.id, { email: 'sam@riverside.example', password: await preparePassword(PASSWORD), role: 'admin' });
    consoleUrl = `${server.url}/o/riverside/console`;
    browser = await launchChromium();
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], viewport: { width: 1280, height: 860 } });
  });
  afterAll(async () => {
    expect(JSON.stringify(server.logs)).not.toContain(CLIENT_SECRET);
    await browser?.close();
    for (const socket of sockets) socket.destroy();
    await Promise.all([upstream, partner, receiver].map((s) => new Promise((resolve) => (s === undefined ? resolve(undefined) : s.close(resolve)))));
    await server?.close();
  });


  it('installs an app connector, sends a customer the connect link, and sees the connector authenticated after the customer signed in at the provider', async () => {
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/connectors`);
    await page.getByLabel('Email').fill('sam@riverside.example');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${consoleUrl}/connectors`);
    await judge(page, 'connectors');

    await page.getByRole('link', { name: 'Application connector library' }).click();
    await page.getByLabel('Search by name').fill('OpenID');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/library\?q=OpenID/);
    await judge(page, 'connector-library');
    await page.getByRole('link', { name: 'Install OpenID Connect' }).click();
    await page.getByLabel('Client ID').fill('gatehouse-hub');
    await page.getByLabel('Client secret').fill(CLIENT_SECRET);
    await page.getByLabel('issuer').fill('not a url');
    await page.getByRole('button', { name: 'Install' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    // The secret is never put back in the form.
    expect(await page.getByLabel('Client secret').inputValue()).toBe('');
    await judge(page, 'connector-install-errors');
    await page.getByLabel('Client secret').fill(CLIENT_SECRET);
    await page.getByLabel('issuer').fill(issuer);
    await page.getByRole('button', { name: 'Install' }).click();
    await page.getByText('The app connector was installed.').waitFor();
    expect(await page.locator('#redirect-uri').textContent()).toBe(`${server.url}/o/riverside/connectorauth/callback`);
    expect(await page.content()).not.toContain(CLIENT_SECRET);
    await judge(page, 'app-connector');

    await page.getByRole('link', { name: 'Connectors', exact: true }).click();
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Customer one');
    await page.getByLabel('Account ID (optional)').fill('cust-1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('The account was created.').waitFor();
    await page.getByRole('button', { name: 'Add connector' }).click();
    await page.getByText('The connector was added.').waitFor();
    await judge(page, 'account-connector');

    await page.getByLabel('Username').fill('alice@customer.example');
    await page.getByRole('button', { name: 'Make connect link' }).click();
    await page.getByRole('heading', { name: 'Connect link', exact: true }).waitFor();
    const link = (await page.locator('#connect-link').textContent())!;
    await page.getByRole('button', { name: 'Copy connect link' }).click();
    await expect.poll(() => page.locator('#connect-link-status').textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(link);
    await judge(page, 'connect-link');

    // The customer, in a browser of their own.
    const customer = await browser.newContext();
    const theirs = await customer.newPage();
    await theirs.goto(link);
    await theirs.getByRole('button', { name: 'Sign in at the provider' }).click({ timeout: STEP_MS });
    await theirs.waitForURL(`${partnerOrigin}/`, { timeout: STEP_MS });
    expect(await theirs.locator('#landed').textContent()).toBe('back at the partner');
    // The link worked once.
    await theirs.goto(link);
    expect(await theirs.content()).not.toContain('Sign in at the provider');
    await customer.close();

    await page.getByRole('link', { name: 'Done: go to the connector' }).click();
    expect(await page.locator('.badge').first().textContent()).toBe('Authenticated');
    expect(await page.getByRole('button', { name: 'Deauthenticate' }).isVisible()).toBe(true);
    await page.getByRole('link', { name: 'Connectors', exact: true }).click();
    expect(await page.getByRole('row', { name: 'Authenticated 1' }).count()).toBe(1);
    // Judged again with a connection (the screenshot kept is this one).
    await judge(page, 'connectors');
    expect(csp.violations).toEqual([]);
    await page.close();
  });

  it('creates a webhook endpoint, copies its secret, and test-sends with the attempt shown', async () => {
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/webhooks`);
    await judge(page, 'webhooks');
    await page.getByRole('link', { name: 'New endpoint' }).click();
    await page.getByLabel('URL', { exact: true }).fill(`${receiverOrigin}/hooks`);
    await page.getByLabel('Description (optional)').fill('CRM');
    await judge(page, 'webhook-new');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('heading', { name: 'Endpoint created' }).waitFor();
    const secret = (await page.locator('#webhook-secret').textContent())!;
    await page.getByRole('button', { name: 'Copy signing secret' }).click();
    await expect.poll(() => page.locator('#webhook-secret-status').textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await page.getByRole('link', { name: 'Done: go to the endpoint' }).click();
    await page.getByRole('button', { name: 'Send a test message' }).click();
    await page.getByText('The test message was delivered').waitFor();
    expect(received.some((body) => body.includes('"type":"webhook.test"'))).toBe(true);
    expect(await page.getByRole('cell', { name: '204' }).count()).toBe(1);
    expect(await page.content()).not.toContain(secret);
    await judge(page, 'webhook');
    expect(csp.violations).toEqual([]);
    await page.close();
  });
});
