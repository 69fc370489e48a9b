import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { updateOrganization } from '../src/orgs/orgs.ts';
import { setRegistrationPolicy } from '../src/orgs/registration-policy.ts';
import { seedClient, seedOrg, PASSWORD } from './helpers/fixtures.ts';
import { accessibilityProblems, CspWatch, launchChromium } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { staffBrowser } from './console-helpers.ts';

// Issue 13: axe-core in chromium on every hosted page (sign-in, consent, logout, errors, sign-up,
// registration), in light and in dark, each in its plain and its refused state: no serious or
// critical violation. Two organizations: one with the default look, one branded with a light
// colour (gold), whose buttons must still read. SQLite only: what is judged is the page as the
// browser renders it, which the store does not change.

const REDIRECT_URI = 'https://app.example.org/callback';

describe('the hosted pages pass axe-core in a real browser (SQLite)', () => {
  let server: TestServer;
  let browser: Browser;
  let clients: Record<'acme' | 'neos', string>;
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const db = server.store.storage.db;
    const acme = await seedOrg(db, 'acme');
    const neos = await seedOrg(db, 'neos');
    // Set before any request caches the org: registration requests, sign-up, a light brand colour.
    await setRegistrationPolicy(db, systemClock, neos.org.id, { mode: 'approval', initialAccessToken: 'none' });
    await updateOrganization(db, systemClock, neos.org.id, { selfRegistration: 'open', primaryColor: '#ffd700', accentColor: '#7c2d12' });
    const acmeClient = await seedClient(db, acme.org.id, { name: 'Volunteer rota', redirectUris: [REDIRECT_URI], postLogoutRedirectUris: ['https://app.example.org/bye'], consentRequired: true });
    const neosClient = await seedClient(db, neos.org.id, { name: 'Donations', redirectUris: [REDIRECT_URI], consentRequired: true });
    clients = { acme: acmeClient.clientId, neos: neosClient.clientId };
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    csp.watch(page);
    // The app's redirect URI is not served: answer it here so the flow ends without a network error.
    await page.route('https://app.example.org/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="en"><title>App</title><h1>App</h1></html>' }));
    return page;
  }

  const authorizeUrl = (slug: 'acme' | 'neos', extra: Record<string, string> = {}): string =>
    `${server.url}/o/${slug}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clients[slug], redirect_uri: REDIRECT_URI, scope: 'openid profile email', state: 's', ...extra })}`;

  it.each(['acme', 'neos'] as const)('sign-in (plain and refused), consent, logout and its answers (%s)', async (slug) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await newPage(context);
    const found: string[] = [];
    await page.goto(authorizeUrl(slug));
    await page.getByLabel('Login name or email').waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'sign-in' })));
    await page.getByLabel('Login name or email').fill('alice');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'sign-in refused' })));
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'consent' })));
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${REDIRECT_URI}?**`);

    // Logout without an id_token_hint: the confirmation, then "Stay signed in", then signing out.
    await page.goto(`${server.url}/o/${slug}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'logout confirmation' })));
    await page.getByRole('link', { name: 'Stay signed in' }).click();
    await page.getByRole('heading', { name: 'You are still signed in' }).waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'logout cancelled' })));
    await page.goto(`${server.url}/o/${slug}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState();
    found.push(...(await accessibilityProblems(page, { label: 'signed out' })));
    expect(found).toEqual([]);
    await context.close();
  });

  it('error pages: an unknown client, a bad redirect URI, an unknown organization, an expired interaction', async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    const found: string[] = [];
    for (const [name, url] of [
      ['unknown client', authorizeUrl('acme', { client_id: 'cl_unknown' })],
      ['bad redirect URI', authorizeUrl('acme', { redirect_uri: 'https://evil.example/cb' })],
      ['unknown organization', `${server.url}/o/nowhere/authorize?client_id=x`],
      ['unknown interaction', `${server.url}/o/acme/login?interaction=unknown`],
    ] as const) {
      const response = await page.goto(url);
      expect(response?.status(), name).toBeGreaterThanOrEqual(400);
      found.push(...(await accessibilityProblems(page, { label: name })));
    }
    expect(found).toEqual([]);
    await context.close();
  });

  it('sign-up (plain and refused) on the branded organization', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const page = await newPage(context);
    const found: string[] = [];
    await page.goto(authorizeUrl('neos'));
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Email (optional)').waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'sign-up' })));
    await page.locator('form button[type=submit]').first().click();
    await page.waitForLoadState();
    found.push(...(await accessibilityProblems(page, { label: 'sign-up refused' })));
    expect(found).toEqual([]);
    await context.close();
  });

  it('registration request (plain, refused, and its answer with the credentials)', async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    const found: string[] = [];
    await page.goto(`${server.url}/o/neos/register`);
    found.push(...(await accessibilityProblems(page, { label: 'registration' })));
    await page.getByLabel('Application name').fill('Volunteer Portal');
    await page.getByLabel('Your name').fill('Ann Developer');
    await page.getByLabel('Your email').fill('ann@example.org');
    await page.getByLabel('Why you need access').fill('Volunteer rota');
    // Refused by the server (the browser's own checks pass): plain http off loopback.
    await page.getByLabel('Redirect URIs, one per line').fill('http://insecure.example/cb');
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.getByRole('alert').first().waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'registration refused' })));
    await page.getByLabel('Redirect URIs, one per line').fill(REDIRECT_URI);
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.getByRole('heading', { name: 'Registration request received' }).waitFor();
    found.push(...(await accessibilityProblems(page, { label: 'registration received' })));
    expect(found).toEqual([]);
    await context.close();
  });

  it('the staff-session page (a staff member\'s browser at an authorization)', async () => {
    const { org } = { org: (await server.store.storage.db.selectFrom('organizations').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow()) };
    const { browser: signedIn } = await staffBrowser(server.store.storage.db, org.id, 'acme', 'admin');
    const context = await browser.newContext();
    await context.addCookies([{ name: 'gh_staff', value: signedIn.cookie('gh_staff')!, url: `${server.url}/o/acme/` }]);
    const page = await newPage(context);
    await page.goto(authorizeUrl('acme'));
    await page.getByRole('button', { name: 'Sign out of the staff session' }).waitFor();
    expect(await accessibilityProblems(page, { label: 'staff session' })).toEqual([]);
    await context.close();
  });

  it('was refused nothing by the pages\' CSP', () => {
    expect(csp.violations).toEqual([]);
  });
});
