import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { preparePassword } from '../src/accounts/passwords.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import type { Organization } from '../src/orgs/organization.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { CHALLENGE, seedClient } from './helpers/fixtures.ts';
import { CspWatch, judge, launchChromium } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// The support desk's seed walk in Debian's chromium (playwright-core): a support role finds a
// constituent, sets a new password (the constituent then signs in with it at the hosted page),
// ends the constituent's session; the audit log shows both, and exports them as CSV. axe-core
// judges each page of the Constituents and Audit log sections in light and dark, and none scrolls
// sideways at 375 px. SQLite only: console-constituents.test.ts and console-audit.test.ts prove the
// server side on both stores. Screenshots into docs/console/ only with SCREENSHOTS=1.

const STAFF_PASSWORD = 'a long staff passphrase';
const OLD_PASSWORD = 'the old constituent passphrase';
const NEW_PASSWORD = 'a fresh constituent passphrase';

describe('the Constituents and Audit log sections in a real browser (SQLite)', () => {
  let server: TestServer;
  let org: Organization;
  let browser: Browser;
  let consoleUrl: string;
  let issuer: string;
  let clientId: string;
  let redirectUri: string;
  let accountId: string;
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const db = server.store.storage.db;
    org = await createOrganization(db, systemClock, { slug: 'riverside', name: 'Riverside Food Bank' });
    await createStaffUser(db, systemClock, org.id, { email: 'sam@riverside.example', name: 'Sam Support', password: await preparePassword(STAFF_PASSWORD), role: 'support' });
    // The application's redirect URI on this server (http on 127.0.0.1 is allowed while developing): any answer there will do.
    redirectUri = `${server.url}/volunteer-rota/callback`;
    clientId = (await seedClient(db, org.id, { name: 'Volunteer rota', redirectUris: [redirectUri] })).clientId;
    accountId = (await createConstituent(db, systemClock, org.id, { username: 'jordan', password: OLD_PASSWORD, email: 'jordan@example.org', name: 'Jordan Lee', attributes: { volunteer_since: 2019 } })).accountId;
    for (const username of ['jo-anne', 'priya', 'marcus']) await createConstituent(db, systemClock, org.id, { username, email: `${username}@example.org` });
    issuer = `${server.url}/o/riverside`;
    consoleUrl = `${issuer}/console`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A constituent's own browser. */
  async function constituentContext(): Promise<BrowserContext> {
    return browser.newContext();
  }

  /** The constituent goes to the application's sign-in; true when it lands back at the application with a code. */
  async function constituentSignsIn(page: Page, password: string | null): Promise<boolean> {
    const params = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    await page.goto(`${issuer}/authorize?${params}`);
    if (password !== null && (await page.locator('input[name="password"]').count()) > 0) {
      await page.locator('input[name="username"]').fill('jordan');
      await page.locator('input[name="password"]').fill(password);
      await page.locator('form button[type="submit"]').first().click();
      await page.waitForLoadState();
    }
    if ((await page.locator('button[name="decision"][value="allow"]').count()) > 0) {
      await page.locator('button[name="decision"][value="allow"]').click();
      await page.waitForLoadState();
    }
    return page.url().startsWith(`${redirectUri}?code=`);
  }

  it('support finds a constituent, resets the password (which then signs in), ends a session; the audit log shows both and exports them', async () => {
    // The constituent signed in long ago with the old password, on their own browser.
    const jordan = await constituentContext();
    const jordanPage = await jordan.newPage();
    expect(await constituentSignsIn(jordanPage, OLD_PASSWORD)).toBe(true);

    const staff = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const page = csp.watch(await staff.newPage());
    await page.goto(`${consoleUrl}/constituents`);
    expect(page.url()).toBe(`${consoleUrl}/login?return_to=constituents`);
    await page.getByLabel('Email').fill('sam@riverside.example');
    await page.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${consoleUrl}/constituents`);
    await judge(page, 'constituents');

    // Finds the constituent by the start of the name they go by.
    await page.getByLabel('Username or email starts with').fill('jor');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${consoleUrl}/constituents?q=jor&status=`);
    expect(await page.getByRole('link', { name: 'jo-anne' }).count()).toBe(0);
    await page.getByRole('link', { name: 'jordan' }).click();
    await page.getByRole('heading', { name: 'Jordan Lee', level: 1 }).waitFor();
    expect(await page.locator('#sessions-heading + .table-wrap tbody tr').count()).toBe(1);
    await judge(page, 'constituent');

    // A refused password first: beside its field, never shown back.
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.getByLabel('New password').inputValue()).toBe('');
    expect(await page.getByLabel('New password').getAttribute('aria-invalid')).toBe('true');
    await judge(page, 'constituent-password-error');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(`${consoleUrl}/constituents/${accountId}?flash=constituent_password_set`);
    expect(await page.getByRole('status').filter({ hasText: 'The password was set' }).count()).toBe(1);
    expect(await page.getByText('The constituent is signed in nowhere.').count()).toBe(1);

    // The constituent signs in with the new password at the hosted page (the old one no longer works).
    const fresh = await constituentContext();
    const freshPage = await fresh.newPage();
    expect(await constituentSignsIn(freshPage, OLD_PASSWORD)).toBe(false);
    expect(await constituentSignsIn(freshPage, NEW_PASSWORD)).toBe(true);

    // Support sees that session, and ends it: the constituent must sign in again.
    await page.reload();
    const rows = page.locator('#sessions-heading + .table-wrap tbody tr');
    expect(await rows.count()).toBe(1);
    const sessionId = (await rows.first().locator('code').textContent())!;
    await page.getByRole('button', { name: `End session ${sessionId}` }).click();
    await page.waitForURL(`${consoleUrl}/constituents/${accountId}?flash=constituent_session_ended`);
    expect(await page.getByText('The constituent is signed in nowhere.').count()).toBe(1);
    expect(await constituentSignsIn(freshPage, null)).toBe(false);
    expect(await freshPage.locator('input[name="password"]').count()).toBe(1);

    // The audit log shows both, by the support's name, and exports them.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${consoleUrl}/audit`);
    await judge(page, 'audit');
    await page.getByLabel('Target ID').fill(accountId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/audit\?/);
    const events = page.locator('table.audit tbody tr');
    const actions = await events.locator('td:nth-child(2)').allTextContents();
    expect(actions).toEqual(['constituent.session_ended', 'constituent.password_set']);
    expect(await events.first().getByText('Sam Support').count()).toBe(1);
    await judge(page, 'audit-filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export these events as CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^audit-riverside-\d{4}-\d\d-\d\d\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe('occurred_at,action,actor_type,actor_id,actor_user_email,actor_user_name,target_type,target_id,ip,details');
    expect(csv.slice(1, -1).map((line) => line.split(',').slice(1, 2)[0])).toEqual(['constituent.session_ended', 'constituent.password_set']);
    expect(csv[1]).toContain(`sam@riverside.example,Sam Support,constituent,${accountId}`);

    // Bad filters: the form again, each error beside its field, still accessible.
    await page.getByLabel('From (UTC)').fill('2026-02-31');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('#from-error').waitFor();
    await judge(page, 'audit-errors');

    expect(csp.violations).toEqual([]);
    await jordan.close();
    await fresh.close();
    await staff.close();
  });

  it('the new-constituent form, refused and then accepted, passes axe-core', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/login`);
    await page.getByLabel('Email').fill('sam@riverside.example');
    await page.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${consoleUrl}/`);
    await page.getByRole('link', { name: 'Constituents' }).click();
    await page.getByRole('link', { name: 'New constituent' }).click();
    await judge(page, 'constituent-new');
    await page.getByLabel('Username').fill('');
    await page.getByLabel('Email').fill('not an email');
    await page.getByRole('button', { name: 'Create constituent' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    expect(await page.getByLabel('Email').inputValue()).toBe('not an email');
    await judge(page, 'constituent-new-errors');
    await page.getByLabel('Username').fill('newcomer');
    await page.getByLabel('Email').fill('newcomer@example.org');
    await page.getByRole('button', { name: 'Create constituent' }).click();
    await page.waitForURL(/\/constituents\/\d+\?flash=constituent_created$/);
    expect(csp.violations).toEqual([]);
    await context.close();
  });
});
