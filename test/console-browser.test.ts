import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePassword } from '../src/accounts/passwords.ts';
import { recordAudit } from '../src/audit/audit.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import type { Organization } from '../src/orgs/organization.ts';
import { seedClient } from './helpers/fixtures.ts';
import { staffBrowser } from './console-helpers.ts';
import { accessibilityProblems, CspWatch, launchChromium, screenshots } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// The console in Debian's chromium (playwright-core): a staff admin signs in, creates a client and
// copies its secret with the page's own script under the page's CSP; axe-core judges every page
// (light and dark); the screenshots of docs/console/ are taken on the way. SQLite only: what is
// proven here is the browser's (rendering, script, CSP, accessibility), which the store does not
// change; console.test.ts proves the pages' server side on both stores.

const PASSWORD = 'a long staff passphrase';
const DAY_MS = 86_400_000;

describe('the staff console in a real browser (SQLite)', () => {
  let server: TestServer;
  let org: Organization;
  let browser: Browser;
  let context: BrowserContext;
  let consoleUrl: string;
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const db = server.store.storage.db;
    org = await createOrganization(db, systemClock, { slug: 'riverside', name: 'Riverside Food Bank' });
    await createStaffUser(db, systemClock, org.id, { email: 'sam@riverside.example', password: await preparePassword(PASSWORD), role: 'admin' });
    await seedClient(db, org.id, { name: 'Volunteer rota' });
    await seedClient(db, org.id, { name: 'Donations app', clientType: 'public', redirectUris: ['https://give.riverside.example/callback'] });
    // Two weeks of sign-ins for the chart.
    for (let day = 0; day < 14; day++) {
      const at = () => Date.now() - day * DAY_MS;
      for (let i = 0; i < ((day * 7) % 11) + 2; i++) await recordAudit(db, at, org.id, { action: 'constituent.sign_in', actor: { type: 'constituent', id: 'c' } });
      for (let i = 0; i < day % 4; i++) await recordAudit(db, at, org.id, { action: 'constituent.sign_in_failed', actor: { type: 'anonymous', id: null } });
    }
    consoleUrl = `${server.url}/o/riverside/console`;
    browser = await launchChromium();
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], viewport: { width: 1280, height: 860 } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a staff admin signs in, creates a client and copies its secret; every page passes axe-core', async () => {
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/clients`);
    // Sent to the sign-in, which brings them back to the clients afterwards.
    expect(page.url()).toBe(`${consoleUrl}/login?return_to=clients`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Email').fill('sam@riverside.example');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${consoleUrl}/clients`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'clients');

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.waitForURL(`${consoleUrl}/`);
    await expect.poll(() => page.getByRole('img', { name: /Constituent sign-ins per day/ }).count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    // The script runs under the CSP: the copy buttons are shown.
    expect(await page.getByRole('button', { name: 'Copy Organization ID' }).isVisible()).toBe(true);
    await screenshots(page, 'overview');

    await page.getByRole('link', { name: 'OAuth clients' }).click();
    await page.getByRole('link', { name: 'New client' }).click();
    expect(await accessibilityProblems(page)).toEqual([]);
    // Bad input first: the form comes back with the errors, and stays accessible.
    await page.getByLabel('Name', { exact: true }).fill('Food parcel app');
    await page.getByLabel('Redirect URIs, one per line', { exact: true }).fill('http://parcels.example/callback');
    await page.getByRole('button', { name: 'Create client' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    expect(await page.getByLabel('Redirect URIs, one per line', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'client-form-errors');

    await page.getByLabel('Redirect URIs, one per line', { exact: true }).fill('https://parcels.riverside.example/callback');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('heading', { name: 'Client created' }).waitFor();
    const shown = (await page.locator('#client-secret').textContent())!;
    await page.getByRole('button', { name: 'Copy client secret' }).click();
    await expect.poll(() => page.locator('#client-secret-status').textContent()).toBe('Copied');
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(copied).toBe(shown);
    const clientId = (await page.locator('#client-id').textContent())!;
    const row = await server.store.storage.db.selectFrom('clients').select('secret_hash').where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashSecret(copied));
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'client-created');

    await page.getByRole('link', { name: 'Done: go to the client' }).click();
    await page.getByRole('heading', { name: 'Food parcel app' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'client');

    // The login widget: its snippet to copy, and its button, live, pointing at this client's sign-in.
    const button = page.getByRole('link', { name: 'Sign in with Riverside Food Bank' });
    await button.waitFor();
    const href = new URL((await button.getAttribute('href'))!);
    expect(href.origin + href.pathname).toBe(`${server.url}/o/riverside/authorize`);
    expect(href.searchParams.get('client_id')).toBe(clientId);
    expect(href.searchParams.get('redirect_uri')).toBe('https://parcels.riverside.example/callback');
    await page.getByRole('button', { name: 'Copy widget code' }).click();
    await expect.poll(() => page.locator('#widget-snippet-status').textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`<script src="${server.url}/o/riverside/widget.js"\n        data-client-id="${clientId}"\n        data-redirect-uri="https://parcels.riverside.example/callback"\n        data-scope="openid profile"></script>`);

    await page.goto(`${consoleUrl}/clients/cl_unknown`);
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(csp.violations).toEqual([]);
    await page.close();
  });

  it('the console\'s 403 page passes axe-core too', async () => {
    const { browser: signedIn } = await staffBrowser(server.store.storage.db, org.id, 'riverside', 'read_only');
    const readOnly = await browser.newContext();
    await readOnly.addCookies([{ name: 'gh_staff', value: signedIn.cookie('gh_staff')!, url: `${server.url}/o/riverside/console/` }]);
    const page = csp.watch(await readOnly.newPage());
    const response = await page.goto(`${consoleUrl}/clients/new`);
    expect(response?.status()).toBe(403);
    expect(await accessibilityProblems(page)).toEqual([]);
    await readOnly.close();
  });

  it('keyboard: the skip link is the first stop and moves to main; the focus is visible', async () => {
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/`);
    await page.keyboard.press('Tab');
    const first = await page.evaluate('({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })');
    expect(first).toEqual({ text: 'Skip to content', outline: 'solid' });
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.close();
  });
});
