import * as oidc from 'openid-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import type { Organization } from '../src/orgs/organization.ts';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, PASSWORD, seedClient } from './helpers/fixtures.ts';
import { accessibilityProblems, CspWatch, judge, launchChromium } from './helpers/console-browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { staffBrowser } from './console-helpers.ts';

// Neos's manual approval and Jadu's "consent required", walked in Debian's chromium: staff open
// registration in the console, a requester asks on the hosted registration page, staff approve in
// the console, and an unmodified openid-client then signs a constituent in through the new client;
// staff toggle a client's consent and the hosted sign-in shows the consent page or not. axe-core
// judges each page of these sections (light and dark) and none scrolls sideways at 375 px.
// SQLite only: console-registrations.test.ts proves the server side on both stores.

const REQUESTED_REDIRECT = 'https://checkin.neos.example/cb';
const ROTA_REDIRECT = 'https://rota.neos.example/cb';

describe('registrations, client lifecycle and scopes in a real browser (SQLite)', () => {
  let server: TestServer;
  let org: Organization;
  let browser: Browser;
  let staff: BrowserContext;
  let issuer: string;
  let consoleUrl: string;
  const csp = new CspWatch();

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const db = server.store.storage.db;
    org = await createOrganization(db, systemClock, { slug: 'neos', name: 'Neos Community' });
    for (const username of ['alice', 'bob', 'carol', 'dave']) await createConstituent(db, systemClock, org.id, { username, password: PASSWORD, email: `${username}@neos.example`, name: username });
    issuer = `${server.url}/o/neos`;
    consoleUrl = `${issuer}/console`;
    browser = await launchChromium();
    // A staff admin's session, made directly (console-browser.test.ts walks the password sign-in).
    const { browser: signedIn } = await staffBrowser(db, org.id, 'neos', 'admin', 'sam@neos.example');
    staff = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await staff.addCookies([{ name: 'gh_staff', value: signedIn.cookie('gh_staff')!, url: `${consoleUrl}/` }]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('staff open registration, approve a request from the registration page, and openid-client completes a flow with it', async () => {
    const page = csp.watch(await staff.newPage());
    await page.goto(`${consoleUrl}/registrations`);
    await page.getByText('No registration is waiting.').waitFor();
    await page.getByLabel('Open, with approval: anyone may ask, staff decide').check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('The registration policy was saved.').waitFor();
    expect(await page.locator('#registration-page').textContent()).toBe(`${issuer}/register`);
    // A new initial access token for dynamic registration: shown once, on the answer to the form.
    await page.getByLabel('A new token, shown once after saving (the current one stops working)').check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('heading', { name: 'New initial access token' }).waitFor();
    expect(await page.locator('#initial-access-token').textContent()).toMatch(/^giat_/);
    await judge(page, 'registration-token');
    await page.getByRole('link', { name: 'Done: go to the registrations' }).click();
    await page.getByText('Required by dynamic registration (RFC 7591 §3)').waitFor();

    // The requester, in a browser of their own, on the hosted registration page.
    const requester = await browser.newContext();
    const asking = await requester.newPage();
    await asking.goto(`${issuer}/register`);
    await asking.getByLabel('Application name').fill('Event Check-in');
    await asking.getByLabel('Redirect URIs, one per line').fill(REQUESTED_REDIRECT);
    await asking.getByLabel('Runs on a server and can keep a secret').check();
    await asking.getByLabel('Your name').fill('Ann Organiser');
    await asking.getByLabel('Your email').fill('ann@checkin.neos.example');
    await asking.getByLabel('Why you need access').fill('Check attendees in at our meet-ups.');
    await asking.getByRole('button', { name: 'Send the request' }).click();
    await asking.getByText('Status: awaiting approval.').waitFor();
    const clientId = (await asking.locator('#client-id').textContent())!.trim();
    const clientSecret = (await asking.locator('#client-secret').textContent())!.trim();
    await requester.close();

    const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const flow = async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REQUESTED_REDIRECT, scope: 'openid profile', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      return { url, verifier, state };
    };
    // Before the approval the client signs no one in: the authorization request never reaches it.
    const early = await flow();
    const refused = await new TestBrowser().follow(early.url.href, server.url);
    expect(refused.url.startsWith(REQUESTED_REDIRECT)).toBe(false);

    // Staff see it in the queue, with who asked, and approve it (after a rejection without reason is refused).
    await page.goto(`${consoleUrl}/registrations`);
    await judge(page, 'registrations');
    await page.getByRole('link', { name: 'Event Check-in' }).click();
    await page.getByRole('heading', { name: 'Who asked' }).waitFor();
    expect(await page.getByText('ann@checkin.neos.example').count()).toBe(1);
    await judge(page, 'registration');
    await page.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    expect(await page.getByLabel('Reason for rejecting').getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${consoleUrl}/registrations?flash=registration_approved`);
    await page.getByText('The registration was approved').waitFor();
    await page.getByText('No registration is waiting.').waitFor();

    // The approved client: an unmodified openid-client signs alice in (consent asked: a third party's app).
    const { url, verifier, state } = await flow();
    const callback = await signInThroughPages(new TestBrowser(), url.href, server.url, { username: 'alice', password: PASSWORD, consent: 'allow' });
    expect(callback.startsWith(REQUESTED_REDIRECT)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ iss: issuer, aud: clientId });
    expect((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).preferred_username).toBe('alice');
    expect(csp.violations).toEqual([]);
    await page.close();
  });

  it('staff toggle "consent required" on a client, and the hosted sign-in shows the consent page or not', async () => {
    const { clientId } = await seedClient(server.store.storage.db, org.id, { name: 'Volunteer rota', redirectUris: [ROTA_REDIRECT], consentRequired: false, scope: 'openid profile' });
    const authorizeUrl = `${issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: ROTA_REDIRECT, scope: 'openid profile', state: 'st4te', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
    /** A constituent signs in through the hosted page in a fresh browser: 'consent' if the consent page appears, 'back' if sent straight back to the client. */
    const signIn = async (username: string): Promise<'consent' | 'back'> => {
      const constituent = await browser.newContext();
      // The client's site: the browser lands there with the code.
      await constituent.route(`${ROTA_REDIRECT}**`, (route) => route.fulfill({ contentType: 'text/plain', body: 'back at the rota' }));
      const page = await constituent.newPage();
      await page.goto(authorizeUrl);
      await page.getByLabel('Login name or email').fill(username);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const outcome = await Promise.race([
        page.waitForURL(`${ROTA_REDIRECT}**`).then(() => 'back' as const),
        page.getByRole('button', { name: 'Allow' }).waitFor().then(() => 'consent' as const),
      ]);
      await constituent.close();
      return outcome;
    };
    const setConsent = async (required: boolean): Promise<void> => {
      const page = csp.watch(await staff.newPage());
      await page.goto(`${consoleUrl}/clients/${clientId}`);
      await page.getByLabel('Ask constituents to consent before the application gets their details').setChecked(required);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('The client was saved.').waitFor();
      await page.close();
    };
    // A new constituent each time: none has consent remembered for the client.
    expect(await signIn('bob')).toBe('back');
    await setConsent(true);
    expect(await signIn('carol')).toBe('consent');
    await setConsent(false);
    expect(await signIn('dave')).toBe('back');
    expect(csp.violations).toEqual([]);
  });

  it('suspends, reactivates and deletes a client after confirmation pages, and manages custom scopes; every page passes axe-core', async () => {
    await seedClient(server.store.storage.db, org.id, { name: 'Old newsletter' });
    const page = csp.watch(await staff.newPage());
    await page.goto(`${consoleUrl}/clients`);
    await page.getByRole('link', { name: 'Old newsletter' }).click();
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    await page.getByRole('link', { name: 'Suspend…' }).click();
    await judge(page, 'client-suspend');
    await page.getByLabel('Reason (optional)').fill('Replaced by the new app');
    await page.getByRole('button', { name: 'Suspend the client' }).click();
    await page.getByText('The client was suspended').waitFor();
    await page.getByRole('link', { name: 'Reactivate…' }).click();
    await page.getByRole('button', { name: 'Reactivate the client' }).click();
    await page.getByText('The client was reactivated.').waitFor();
    await page.getByRole('link', { name: 'Delete…' }).click();
    await judge(page, 'client-delete');
    await page.getByRole('button', { name: 'Delete the client for good' }).click();
    await page.getByText('The client was deleted').waitFor();
    expect(await page.getByRole('link', { name: 'Old newsletter' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Scopes and custom scopes' }).click();
    await page.getByRole('heading', { name: 'Add a custom scope' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('openid');
    await page.getByLabel('Description').fill('Your membership tier');
    await page.getByLabel('Attributes, one per line').fill('Tier');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Nothing was saved');
    await judge(page, 'scopes-errors');
    await page.getByLabel('Name', { exact: true }).fill('membership');
    await page.getByLabel('Attributes, one per line').fill('membership_tier');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await page.getByText('The custom scope was added.').waitFor();
    await judge(page, 'scopes');
    await page.getByRole('link', { name: 'membership' }).click();
    await page.getByRole('heading', { name: 'Scope membership' }).waitFor();
    await judge(page, 'scope');
    await page.getByRole('link', { name: 'Remove…' }).click();
    await judge(page, 'scope-remove');
    await page.getByRole('button', { name: 'Remove the scope' }).click();
    await page.getByText('The custom scope was removed').waitFor();
    expect(csp.violations).toEqual([]);
    await page.close();
  });
});
