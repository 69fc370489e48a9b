import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { staffBrowser } from './console-helpers.ts';
import { accessibilityProblems, CspWatch, launchChromium } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// Neon's seed, end to end in chromium: staff create a client in the console and copy its login
// widget snippet with the page's Copy button; a charity's web page (another loopback origin, served
// here) holds exactly that snippet; a constituent uses its button, signs in at the hosted page,
// consents, and lands on the client's redirect URI with a code, which the client exchanges for an
// ID token whose subject is that constituent. SQLite only: what is proven is the browser's.

const CONSTITUENT_PASSWORD = 'a constituent passphrase';

describe('the login widget from the console signs a constituent in (SQLite)', () => {
  let server: TestServer;
  let browser: Browser;
  let staff: BrowserContext;
  let site: Server;
  let siteOrigin: string;
  let issuer: string;
  let accountId: string;
  /** The snippet the charity's page holds, set once copied from the console. */
  let snippet = '';
  const callbacks: string[] = [];
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const db = server.store.storage.db;
    const org = await createOrganization(db, systemClock, { slug: 'riverside', name: 'Riverside Food Bank' });
    accountId = (await createConstituent(db, systemClock, org.id, { username: 'jordan', password: CONSTITUENT_PASSWORD, email: 'jordan@example.org' })).accountId;
    issuer = `${server.url}/o/riverside`;
    // The charity's site: its page holds the snippet and nothing else of ours; /callback is the
    // client's redirect URI, which records what it was called with.
    site = createServer((request, response) => {
      const url = new URL(request.url ?? '/', siteOrigin);
      if (url.pathname === '/callback') callbacks.push(url.href);
      const body = url.pathname === '/callback' ? '<h1>Signed in</h1>' : `<h1>Volunteer with us</h1>\n${snippet}`;
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html lang="en"><title>Riverside volunteers</title><main>${body}</main></html>`);
    });
    // localhost rather than 127.0.0.1: another origin than the server's, as a real site would be.
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteOrigin = `http://localhost:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
    const { browser: signedIn } = await staffBrowser(db, org.id, 'riverside', 'admin');
    staff = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    await staff.addCookies([{ name: 'gh_staff', value: signedIn.cookie('gh_staff')!, url: `${issuer}/console/` }]);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (site === undefined ? resolve(undefined) : site.close(resolve)));
    await server?.close();
  });

  it('staff copy the snippet of a new client; a page holding exactly it signs jordan in through its button', async () => {
    const page = csp.watch(await staff.newPage());
    await page.goto(`${issuer}/console/clients/new`);
    await page.getByLabel('Name', { exact: true }).fill('Volunteer sign-up');
    await page.getByLabel('Redirect URIs, one per line', { exact: true }).fill(`${siteOrigin}/callback`);
    await page.getByLabel('Ask constituents to consent before the application gets their details').check();
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('heading', { name: 'Client created' }).waitFor();
    const clientId = (await page.locator('#client-id').textContent())!;
    const clientSecret = (await page.locator('#client-secret').textContent())!;
    await page.getByRole('link', { name: 'Done: go to the client' }).click();
    await page.getByRole('button', { name: 'Copy widget code' }).click();
    await expect.poll(() => page.locator('#widget-snippet-status').textContent()).toBe('Copied');
    snippet = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(snippet).toContain(`data-client-id="${clientId}"`);
    await page.close();

    // The constituent, in a browser of their own, on the charity's page.
    const constituent = await browser.newContext();
    const visit = csp.watch(await constituent.newPage());
    const served = await visit.goto(`${siteOrigin}/`);
    expect(await served!.text()).toContain(`<main><h1>Volunteer with us</h1>\n${snippet}</main>`);
    await visit.getByRole('link', { name: 'Sign in with Riverside Food Bank' }).click();
    await visit.getByLabel('Login name or email').fill('jordan');
    await visit.getByLabel('Password').fill(CONSTITUENT_PASSWORD);
    await visit.getByRole('button', { name: 'Sign in' }).click();
    await visit.getByRole('button', { name: 'Allow' }).click();
    await visit.waitForURL(`${siteOrigin}/callback?**`);
    expect(await accessibilityProblems(visit, { label: 'the site after sign-in' })).toEqual([]);
    await constituent.close();

    // The client's side: one callback, with a code and no state (the snippet sends none; see below).
    expect(callbacks).toHaveLength(1);
    const callback = new URL(callbacks[0]!);
    expect(callback.searchParams.get('code')).toMatch(/.+/);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    expect(callback.searchParams.has('state')).toBe(false);
    const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    // The snippet carries no state, so there is none to check (the widget sends data-state when a page sets it).
    const tokens = await oidc.authorizationCodeGrant(config, callback, { expectedState: oidc.skipStateCheck, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ iss: issuer, aud: clientId, sub: accountId });
    expect(csp.violations).toEqual([]);
  });
});
