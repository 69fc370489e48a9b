import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { staffBrowser } from './console-helpers.ts';
import { CspWatch, judge, launchChromium } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// The account, account-connector and webhook changes in chromium: each page (and its refused form)
// passes axe-core in light and dark and never scrolls sideways at 375 px; the walk renames an
// account, edits a connector's own app credentials, deletes an endpoint and the account, each
// confirmed. SQLite only; console-connector-changes.test.ts proves the server side on both stores.

describe('account, connector and webhook changes in a real browser (SQLite)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let consoleUrl: string;
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const org = await createOrganization(server.store.storage.db, systemClock, { slug: 'riverside', name: 'Riverside Food Bank' });
    consoleUrl = `${server.url}/o/riverside/console`;
    browser = await launchChromium();
    const { browser: signedIn } = await staffBrowser(server.store.storage.db, org.id, 'riverside', 'admin');
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.addCookies([{ name: 'gh_staff', value: signedIn.cookie('gh_staff')!, url: `${consoleUrl}/` }]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renames an account, edits a connector, deletes a webhook endpoint and the account; every page passes axe-core', async () => {
    const page = csp.watch(await context.newPage());
    // An app connector, an account and its connector, as staff make them.
    await page.goto(`${consoleUrl}/connectors/install/openid-connect`);
    await page.getByLabel('issuer', { exact: true }).fill('https://login.example.com');
    await page.getByRole('button', { name: /Install/ }).click();
    await page.getByText('The app connector was installed').waitFor();
    await page.goto(`${consoleUrl}/connectors/accounts`);
    await page.getByLabel('Account ID').fill('northside');
    await page.getByLabel('Name', { exact: true }).fill('Northside');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('The account was created.').waitFor();
    await page.getByRole('button', { name: 'Add connector' }).click();
    await page.getByText('The connector was added.').waitFor();
    const connectorUrl = page.url().replace(/\?.*$/, '');

    // Rename: the refused form first, then the name saved.
    await page.goto(`${consoleUrl}/connectors/accounts/northside`);
    await page.getByRole('link', { name: 'Rename…' }).click();
    await page.getByLabel('Name', { exact: true }).fill(' ');
    await page.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    await judge(page, 'account-rename-errors');
    await page.getByLabel('Name', { exact: true }).fill('Northside Community Centre');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('The account was renamed.').waitFor();
    await judge(page, 'account');

    // The connector's settings: a bad issuer refused beside its field, then its own app credentials saved.
    await page.goto(connectorUrl);
    await page.getByRole('link', { name: 'Edit settings…' }).click();
    await judge(page, 'account-connector-edit');
    await page.getByLabel('issuer').fill('not a url');
    await page.getByLabel('Client ID (optional)').fill('northside-app');
    await page.getByLabel('Client secret (optional)').fill('northside-secret');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    expect(await page.getByLabel('Client secret (optional)').inputValue()).toBe('');
    expect(await page.getByLabel('Client ID (optional)').inputValue()).toBe('northside-app');
    await judge(page, 'account-connector-edit-errors');
    await page.getByLabel('issuer').fill('https://id.northside.example');
    await page.getByLabel('Client secret (optional)').fill('northside-secret');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The connector was saved.').waitFor();

    // A webhook endpoint, deleted after its confirmation.
    await page.goto(`${consoleUrl}/webhooks/new`);
    await page.getByLabel('URL').fill('https://hooks.northside.example/gatehouse');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('link', { name: /Done/ }).click();
    await page.getByRole('link', { name: 'Delete endpoint…' }).click();
    await judge(page, 'webhook-delete');
    await page.getByRole('button', { name: 'Delete the endpoint for good' }).click();
    await page.getByText('The endpoint was deleted, with its deliveries.').waitFor();

    // The account, deleted after its confirmation.
    await page.goto(`${consoleUrl}/connectors/accounts/northside`);
    await page.getByRole('link', { name: 'Delete…' }).click();
    await judge(page, 'account-delete');
    await page.getByRole('button', { name: 'Delete the account for good' }).click();
    await page.getByText('The account was deleted, with its connectors and their credentials.').waitFor();
    expect(csp.violations).toEqual([]);
    await page.close();
  });
});
