import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization, getOrganizationById } from '../src/orgs/orgs.ts';
import type { Organization } from '../src/orgs/organization.ts';
import { staffBrowser } from './console-helpers.ts';
import { accessibilityProblems, CspWatch, launchChromium, screenshots } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// Settings and branding in Debian's chromium: axe-core on the page (light and dark, the preview's
// frame as well), the 375 px check, the preview following the form as an admin types (with the
// console's script) and on the Preview button (without), then the save. SQLite only, as
// console-browser.test.ts: the server side on both stores is console-settings.test.ts's.


describe('settings and branding in a real browser (SQLite)', () => {
  let server: TestServer;
  let org: Organization;
  let browser: Browser;
  let consoleUrl: string;
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    org = await createOrganization(server.store.storage.db, systemClock, { slug: 'riverside', name: 'Riverside Food Bank' });
    consoleUrl = `${server.url}/o/riverside/console`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signedIn(options: { readonly javaScriptEnabled: boolean }): Promise<BrowserContext> {
    const { browser: staff } = await staffBrowser(server.store.storage.db, org.id, 'riverside', 'admin');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: options.javaScriptEnabled });
    await context.addCookies([{ name: 'gh_staff', value: staff.cookie('gh_staff')!, url: `${server.url}/o/riverside/` }]);
    return context;
  }

  /** The preview's sign-in button colour and the name over the form, as the browser draws them. */
  async function previewLook(page: Page): Promise<{ button: string; title: string }> {
    const frame = page.frame({ name: 'sign-in-preview' })!;
    return (await frame.evaluate(`({ button: getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor, title: document.querySelector('h1') ? document.querySelector('h1').textContent : '' })`)) as { button: string; title: string };
  }

  it('an admin changes the colour and the name, sees the sign-in preview follow as they type, and saves', async () => {
    const context = await signedIn({ javaScriptEnabled: true });
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/settings`);
    await expect.poll(() => previewLook(page)).toEqual({ button: 'rgb(29, 78, 216)', title: 'Sign in to Riverside Food Bank' });
    expect(await accessibilityProblems(page, { label: 'page' })).toEqual([]);
    // The preview's own document, opened by itself: in its sandboxed frame no script runs, axe's neither.
    const alone = await context.newPage();
    await alone.goto(`${consoleUrl}/settings/preview`);
    expect(await accessibilityProblems(alone, { label: 'preview' })).toEqual([]);
    await alone.close();

    await page.getByLabel('Button colour').fill('#0f766e');
    await page.getByLabel('Name', { exact: true }).fill('Riverside Community Pantry');
    // The console's script posts the form into the frame after a pause in typing: nothing saved yet.
    await expect.poll(() => previewLook(page), { timeout: 5000 }).toEqual({ button: 'rgb(15, 118, 110)', title: 'Sign in to Riverside Community Pantry' });
    expect((await getOrganizationById(server.store.storage.db, org.id)).settings.primaryColor).toBeNull();
    await screenshots(page, 'settings', { desktop: { width: 1280, height: 900 } });

    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'The settings were saved' }).waitFor();
    const saved = await getOrganizationById(server.store.storage.db, org.id);
    expect({ name: saved.name, color: saved.settings.primaryColor }).toEqual({ name: 'Riverside Community Pantry', color: '#0f766e' });
    // The frame's first page is the stored look now.
    await expect.poll(() => previewLook(page)).toEqual({ button: 'rgb(15, 118, 110)', title: 'Sign in to Riverside Community Pantry' });
    expect(await accessibilityProblems(page, { label: 'page' })).toEqual([]);

    // Bad input: the errors beside their fields, still accessible.
    await page.getByLabel('Link colour').fill('blue');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
    expect(await page.getByLabel('Link colour').getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityProblems(page, { label: 'page' })).toEqual([]);
    await screenshots(page, 'settings-errors', { desktop: { width: 1280, height: 900 } });
    expect(csp.violations).toEqual([]);
    await context.close();
  });

  it('without JavaScript, the Preview button shows the form\'s look in the frame, and saves nothing', async () => {
    const context = await signedIn({ javaScriptEnabled: false });
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/settings`);
    const before = await getOrganizationById(server.store.storage.db, org.id);
    await page.getByLabel('Button colour').fill('#7c2d12');
    await page.getByRole('button', { name: 'Preview' }).click();
    // The frame's document runs no script here either: read what it drew through the DevTools protocol.
    await expect.poll(async () => (await page.frame({ name: 'sign-in-preview' })!.evaluate(`getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor`)), { timeout: 5000 }).toBe('rgb(124, 45, 18)');
    expect(page.url()).toBe(`${consoleUrl}/settings`);
    expect((await getOrganizationById(server.store.storage.db, org.id)).updatedAt).toBe(before.updatedAt);
    expect(csp.violations).toEqual([]);
    await context.close();
  });

  it('the preview\'s form cannot be submitted: the frame is sandboxed and its CSP says form-action \'none\'', async () => {
    const context = await signedIn({ javaScriptEnabled: true });
    const page = csp.watch(await context.newPage());
    await page.goto(`${consoleUrl}/settings`);
    const frame = page.frame({ name: 'sign-in-preview' })!;
    await frame.locator('#username').waitFor();
    await frame.locator('#username').fill('someone');
    await frame.locator('#password').fill('anything');
    // Sandboxed (no forms) and `form-action 'none'`: chromium says it blocked the submission, and the frame stays.
    const blocked = page.waitForEvent('console', (message) => /Blocked form submission/.test(message.text()));
    await frame.locator('button[type=submit]').click();
    await blocked;
    expect(frame.url()).toBe(`${consoleUrl}/settings/preview`);
    await context.close();
  });
});
