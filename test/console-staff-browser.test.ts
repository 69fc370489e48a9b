import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePassword } from '../src/accounts/passwords.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import type { Organization } from '../src/orgs/organization.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { accessibilityProblems, CspWatch, launchChromium, screenshots } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// NeonCRM's seed in Debian's chromium (playwright-core): an owner creates an integration user,
// enables API access, copies the key with the page's Copy button (its script, under its CSP), and
// the API answers that key with the Organization ID; revoked, it is refused. axe-core judges each
// page of the section in light and dark, and no page scrolls sideways at 375 px. SQLite only: what
// is proven here is the browser's; console-staff.test.ts proves the server side on both stores.

const PASSWORD = 'a long staff passphrase';

describe('staff and API access in a real browser (SQLite)', () => {
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
    await createStaffUser(db, systemClock, org.id, { email: 'ola@riverside.example', name: 'Ola Owner', password: await preparePassword(PASSWORD), role: 'owner' });
    await createStaffUser(db, systemClock, org.id, { email: 'sam@riverside.example', name: 'Sam Admin', role: 'admin', withApiKey: true });
    consoleUrl = `${server.url}/o/riverside/console`;
    browser = await launchChromium();
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], viewport: { width: 1280, height: 860 } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** `GET /api/v2/org` with HTTP Basic `orgId:key`, as NeonCRM's integrations call it. */
  async function callApi(orgId: string, key: string): Promise<number> {
    const response = await fetch(`${server.url}/api/v2/org`, { headers: { authorization: `Basic ${Buffer.from(`${orgId}:${key}`).toString('base64')}` } });
    await response.body?.cancel();
    return response.status;
  }

  it('an owner creates an integration user, enables API access, copies the key, and the API takes it until it is revoked', async () => {
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/staff`);
    await page.getByLabel('Email').fill('ola@riverside.example');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${consoleUrl}/staff`);
    await page.getByRole('table', { name: 'What each role may do' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'staff');

    await page.getByRole('link', { name: 'New staff user' }).click();
    await page.waitForURL(`${consoleUrl}/staff/new`);
    expect(await accessibilityProblems(page)).toEqual([]);
    // Bad input first: the errors beside their fields, the page still accessible, no password kept.
    await page.getByLabel('Email').fill('crm-sync');
    await page.getByLabel('Console password').fill('short');
    await page.getByRole('button', { name: 'Create staff user' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Console password').inputValue()).toBe('');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'staff-form-errors');

    await page.getByLabel('Email').fill('crm-sync@riverside.example');
    await page.getByLabel('Name').fill('CRM sync');
    await page.getByRole('radio', { name: /^developer/ }).check();
    await page.getByLabel('Enable API access: make an API key now (shown once)').check();
    await page.getByRole('button', { name: 'Create staff user' }).click();
    await page.getByRole('heading', { name: 'API access enabled' }).waitFor();
    const shown = (await page.locator('#api-key').textContent())!;
    await page.getByRole('button', { name: 'Copy API key' }).click();
    await expect.poll(() => page.locator('#api-key-status').textContent()).toBe('Copied');
    const key = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(key).toBe(shown);
    await page.getByRole('button', { name: 'Copy Organization ID' }).click();
    await expect.poll(() => page.locator('#org-id-status').textContent()).toBe('Copied');
    const orgId = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(orgId).toBe(org.id);
    expect(await callApi(orgId, key)).toBe(200);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'staff-api-key');

    // The user's page: its key with the time it was just used, and nothing of the key but its prefix.
    await page.getByRole('link', { name: 'Done: go to the staff user' }).click();
    await page.getByRole('heading', { name: 'CRM sync' }).waitFor();
    expect(await page.content()).not.toContain(key);
    const keyRow = page.getByRole('row', { name: /gkey_/ });
    expect(await keyRow.textContent()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshots(page, 'staff-user');

    await page.getByRole('button', { name: /^Revoke/ }).click();
    await page.getByText('The API key was revoked: it no longer works.').waitFor();
    expect(await callApi(orgId, key)).toBe(401);
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(csp.violations).toEqual([]);
    await page.close();
  });

  it('the owner\'s own page says it cannot disable itself, and the list links to the Organization ID', async () => {
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/staff`);
    await page.getByRole('link', { name: 'ola@riverside.example' }).click();
    await page.getByText('You cannot disable yourself: another owner can.').waitFor();
    expect(await page.getByRole('button', { name: 'Disable' }).count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.goto(`${consoleUrl}/staff`);
    await page.getByRole('link', { name: 'Organization ID' }).click();
    await page.waitForURL(`${consoleUrl}/#org-heading`);
    expect(await page.locator('#org-id').textContent()).toBe(org.id);
    expect(csp.violations).toEqual([]);
    await page.close();
  });
});
