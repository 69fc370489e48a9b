import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { updateOrganization } from '../src/orgs/orgs.ts';
import { setRegistrationPolicy } from '../src/orgs/registration-policy.ts';
import { seedClient, seedOrg, PASSWORD } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A person in a real browser (Debian's chromium, driven by playwright-core): the login widget on
 * an app's page, the sign-in form found by its labels, consent, and the way back to the app.
 */
describe('in a real browser', () => {
  let server: TestServer;
  let app: Server;
  let appUrl: string;
  let browser: Browser;
  let clientId: string;
  let neosClientId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
    }
    server = await startTestServer('sqlite');
    const seeded = await seedOrg(server.store.storage.db, 'acme');
    // An org with its own colour that takes registration requests and sign-ups, set before any
    // request caches its settings.
    const neos = await seedOrg(server.store.storage.db, 'neos');
    await setRegistrationPolicy(server.store.storage.db, systemClock, neos.org.id, { mode: 'approval', initialAccessToken: 'none' });
    await updateOrganization(server.store.storage.db, systemClock, neos.org.id, { selfRegistration: 'open', primaryColor: '#ffd700' });
    // The third-party app: serves pages that embed the widget, and its callback.
    app = createServer((request, response) => {
      const url = new URL(request.url ?? '/', appUrl);
      const pages: Record<string, string> = {
        '/': `<!doctype html><html><head><title>App</title></head><body><h1>App</h1><script src="${server.url}/o/acme/widget.js" data-client-id="${clientId}" data-redirect-uri="${appUrl}/callback" data-state="xyz"></script></body></html>`,
        '/neos': `<!doctype html><html><head><title>App</title></head><body><script src="${server.url}/o/neos/widget.js" data-client-id="${neosClientId}" data-redirect-uri="${appUrl}/callback"></script></body></html>`,
        '/missing-client': `<!doctype html><html><body><script src="${server.url}/o/acme/widget.js" data-redirect-uri="${appUrl}/callback"></script></body></html>`,
        '/in-head': `<!doctype html><html><head><script src="${server.url}/o/acme/widget.js" data-client-id="x" data-redirect-uri="${appUrl}/callback"></script></head><body><p>content</p></body></html>`,
      };
      const body = url.pathname === '/callback' ? `<!doctype html><p id="result">code=${url.searchParams.get('code') ?? ''} state=${url.searchParams.get('state') ?? ''} error=${url.searchParams.get('error') ?? ''}</p>` : pages[url.pathname];
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html' }).end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const address = app.address();
    appUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    clientId = (await seedClient(server.store.storage.db, seeded.org.id, { redirectUris: [`${appUrl}/callback`], postLogoutRedirectUris: [`${appUrl}/signed-out`], consentRequired: true })).clientId;
    neosClientId = (await seedClient(server.store.storage.db, neos.org.id, { redirectUris: [`${appUrl}/callback`], consentRequired: true })).clientId;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await server?.close();
  });

  it('signs in from the widget button through the hosted pages and returns to the app', async () => {
    const page = await browser.newPage();
    await page.goto(`${appUrl}/`);
    const button = page.getByRole('link', { name: 'Sign in with acme Org' });
    await button.click();
    await page.getByLabel('Login name or email').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);
    const result = await page.locator('#result').textContent();
    expect(result).toMatch(/^code=[0-9a-z]{26}[A-Za-z0-9_-]{43} state=xyz error=$/);
    await page.close();
  });

  it('gives the sign-in fields the autofill tokens password managers look for', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/o/acme/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: `${appUrl}/callback` })}`);
    expect(await page.getByLabel('Login name or email').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Password').getAttribute('autocomplete')).toBe('current-password');
    await page.close();
  });

  it.each([
    ['/missing-client', /data-client-id/],
    ['/in-head', /body/],
  ])('shows a visible error for a wrong widget setup (%s)', async (path, message) => {
    const page = await browser.newPage();
    await page.goto(appUrl + path);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.isVisible()).toBe(true);
    expect(await alert.textContent()).toMatch(message);
    expect(await page.getByRole('link', { name: /Sign in with/ }).count()).toBe(0);
    await page.close();
  });

  // Issue 9 item 20: the email field and the text areas were small browser-default boxes.
  it.each([
    ['sign-up', 375],
    ['registration', 375],
    ['registration', 1280],
  ])('draws every text field of the %s page alike and full width (%ipx wide)', async (which, width) => {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    if (which === 'registration') {
      await page.goto(`${server.url}/o/neos/register`);
    } else {
      await page.goto(`${server.url}/o/neos/authorize?${new URLSearchParams({ response_type: 'code', client_id: neosClientId, redirect_uri: `${appUrl}/callback` })}`);
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Email (optional)').waitFor();
    }
    const fields = await page.locator('form').evaluate((form) => {
      const formWidth = form.getBoundingClientRect().width;
      return [...form.querySelectorAll('input:not([type=hidden]):not([type=radio]), textarea, select')].map((field) => {
        const style = field.ownerDocument.defaultView!.getComputedStyle(field);
        return { name: field.getAttribute('name'), widthShare: Math.round((field.getBoundingClientRect().width / formWidth) * 100), border: `${style.borderTopWidth} ${style.borderTopStyle} ${style.borderTopColor}`, radius: style.borderTopLeftRadius, fontSize: style.fontSize };
      });
    });
    expect(fields.length).toBeGreaterThanOrEqual(which === 'registration' ? 5 : 3);
    for (const field of fields) expect(field).toEqual({ name: field.name, widthShare: 100, border: '1px solid rgb(107, 114, 128)', radius: '6px', fontSize: '16px' });
    await page.close();
  });

  /** Sends the registration form of `neos` as a developer would; the page that answers shows the credentials. */
  async function registerAnApplication(page: Page): Promise<void> {
    await page.goto(`${server.url}/o/neos/register`);
    await page.getByLabel('Application name').fill('Volunteer Portal');
    await page.getByLabel('Redirect URIs, one per line').fill(`${appUrl}/callback`);
    await page.getByLabel('Your name').fill('Ann Developer');
    await page.getByLabel('Your email').fill('ann@example.org');
    await page.getByLabel('Why you need access').fill('Volunteer rota');
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.getByRole('heading', { name: 'Registration request received' }).waitFor();
  }

  /** How many lines the text of `#id` takes (one client rect per line box), and its text. */
  async function linesOf(page: Page, id: string): Promise<{ text: string; lines: number; scrolls: boolean }> {
    return page.locator(`#${id}`).evaluate((code) => {
      const range = code.ownerDocument.createRange();
      range.selectNodeContents(code);
      const box = code.parentElement!;
      return { text: code.textContent ?? '', lines: range.getClientRects().length, scrolls: box.scrollWidth > box.clientWidth };
    });
  }

  // Issue 9 item 20: the secret was broken across lines, with no Copy button.
  it.each([
    ['desktop', 1280],
    ['mobile', 375],
  ])('shows the new client secret on one line and copies it with its Copy button (%s)', async (_name, width) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    await registerAnApplication(page);

    const secret = await linesOf(page, 'client-secret');
    expect(secret.text).toMatch(/^gsec_[A-Za-z0-9_-]{43}$/);
    expect(secret.lines).toBe(1);
    // Too long for a phone: it scrolls sideways instead of wrapping.
    expect(secret.scrolls).toBe(width < 500);
    expect((await linesOf(page, 'client-id')).lines).toBe(1);

    await page.getByRole('button', { name: 'Copy client_secret' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Copied' }).count()).toBe(1);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret.text);
    await page.getByRole('button', { name: 'Copy client_id' }).click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe((await linesOf(page, 'client-id')).text);
    expect(await page.locator('#client-id-status').textContent()).toBe('Copied');
    expect(await page.locator('#client-secret-status').textContent()).toBe('');
    // Nothing was refused by the CSP, and the script raised nothing.
    expect(errors).toEqual([]);
    await context.close();
  });

  it('leaves the secret to select, exactly, without JavaScript', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await registerAnApplication(page);
    expect(await page.getByRole('button', { name: /^Copy/ }).count()).toBe(0);
    const secret = await linesOf(page, 'client-secret');
    await page.locator('#client-secret').click();
    expect(await page.evaluate('String(getSelection())')).toBe(secret.text);
    await context.close();
  });

  // Issue 9 item 20: the logout confirmation had no way out but signing out.
  it('leaves the logout confirmation without signing out through "Stay signed in"', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`${server.url}/o/acme/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: `${appUrl}/callback` })}`);
    await page.getByLabel('Login name or email').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Consent was given once already if the first test ran.
    await page.waitForURL((url) => url.href.startsWith(`${appUrl}/callback?`) || url.pathname.endsWith('/consent'));
    if (page.url().includes('/consent')) await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);

    // Without an id_token_hint naming the session, the person is asked first.
    const confirmation = `${server.url}/o/acme/logout?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: `${appUrl}/signed-out` })}`;
    await page.goto(confirmation);
    await page.getByRole('heading', { name: 'Sign out of acme Org?' }).waitFor();
    await page.getByRole('link', { name: 'Stay signed in' }).click();
    await page.getByRole('heading', { name: 'You are still signed in' }).waitFor();
    expect(page.url()).toBe(`${server.url}/o/acme/logout/cancelled`);
    // Still signed in: the same request asks again (without a session it would sign out at once).
    await page.goto(confirmation);
    await page.getByRole('heading', { name: 'Sign out of acme Org?' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${appUrl}/signed-out`);
    // Once signed out, the same page does not claim otherwise.
    await page.goto(`${server.url}/o/acme/logout/cancelled`);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await page.close();
  });

  // Issue 9 item 20: the widget's button ignored the org's colour.
  it.each([
    ['/', 'acme Org', 'rgb(29, 78, 216)', 'rgb(255, 255, 255)'],
    ['/neos', 'neos Org', 'rgb(255, 215, 0)', 'rgb(17, 24, 39)'],
  ])('draws the widget button of %s in the org primary colour, or the default', async (path, orgName, background, color) => {
    const page = await browser.newPage();
    await page.goto(appUrl + path);
    const button = page.getByRole('link', { name: `Sign in with ${orgName}` });
    const style = await button.evaluate((link) => {
      const computed = link.ownerDocument.defaultView!.getComputedStyle(link);
      return { background: computed.backgroundColor, color: computed.color };
    });
    expect(style).toEqual({ background, color });
    await page.close();
  });
});
