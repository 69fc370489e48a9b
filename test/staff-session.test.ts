import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePassword } from '../src/accounts/passwords.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

const STAFF_PASSWORD = 'staff password that is long';

describe.each(DIALECTS)('staff sessions on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let issuer: string;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    await createStaffUser(server.store.storage.db, systemClock, seeded.org.id, { email: 'ops@acme.example', password: await preparePassword(STAFF_PASSWORD), role: 'admin' });
    clientId = (await seedClient(server.store.storage.db, seeded.org.id)).clientId;
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const authorizeUrl = (override: Record<string, string>) =>
    `${issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://app.example.org/callback', scope: 'openid', state: 'st', ...override })}`;

  async function staffSignIn(browser: TestBrowser, password = STAFF_PASSWORD) {
    const page = await browser.request(`${issuer}/staff/login`);
    const html = await page.text();
    expect(html).toContain('autocomplete="username"');
    expect(html).toContain('autocomplete="current-password"');
    return browser.submit(html, server.url, { email: 'ops@acme.example', password });
  }

  it('signs staff in with a cookie of their own, apart from the constituents\' SSO session', async () => {
    const browser = new TestBrowser();
    const result = await staffSignIn(browser);
    expect(result.url).toBe(`${issuer}/console/`);
    expect(await result.response.text()).toContain('ops@acme.example');
    expect(browser.cookie('gh_staff')).toBeDefined();
    expect(browser.cookie('gh_session')).toBeUndefined();
  });

  it('answers a wrong password and an unknown email alike, and records both in the audit log without what was typed', async () => {
    const wrong = await (await staffSignIn(new TestBrowser(), 'not the password')).response.text();
    expect(wrong).toContain('The email or password is incorrect.');
    const events = await server.store.storage.db.selectFrom('audit_events').selectAll().where('org_id', '=', seeded.org.id).execute();
    expect(events.map((e) => e.action)).toContain('staff.sign_in_failed');
    expect(JSON.stringify(events)).not.toContain('not the password');
    expect(JSON.stringify(events)).not.toContain(STAFF_PASSWORD);
  });

  it('refuses a constituent sign-in in a browser signed in as staff, and offers to sign out and come back', async () => {
    const browser = new TestBrowser();
    await staffSignIn(browser);
    const refused = await browser.request(authorizeUrl({}));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('location')).toBeNull();
    const html = await refused.text();
    expect(html).toContain('Staff accounts cannot sign in to apps');
    // Signing out ends the staff session and resumes the same authorization request.
    const out = await browser.submit(html, server.url, {});
    expect(out.url).toContain('/o/acme/login?interaction=');
    expect(browser.cookie('gh_staff')).toBeUndefined();
    expect((await browser.request(`${issuer}/console/`)).headers.get('location')).toBe(`${issuer}/console/login`);
  });

  it('answers prompt=none with login_required to the client, never a page (OIDC Core §3.1.2.1)', async () => {
    const browser = new TestBrowser();
    await staffSignIn(browser);
    const response = await browser.request(authorizeUrl({ prompt: 'none' }));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://app.example.org/callback');
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.get('iss')).toBe(issuer);
    expect(location.searchParams.get('code')).toBeNull();
  });

  it.each([
    ['an unknown client', { client_id: 'nope' }, 'Unknown application'],
    ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/callback' }, 'Invalid redirect URI'],
  ])('validates the request first: %s gets the error page, with or without prompt=none', async (_name, override, title) => {
    const browser = new TestBrowser();
    await staffSignIn(browser);
    for (const prompt of [{}, { prompt: 'none' }] as Record<string, string>[]) {
      const response = await browser.request(authorizeUrl({ ...override, ...prompt }));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain(title);
    }
  });

  it('ignores a return_to that leaves the authorization endpoint', async () => {
    const browser = new TestBrowser();
    await staffSignIn(browser);
    const home = await (await browser.request(`${issuer}/console/`)).text();
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(home)![1]!;
    const out = await browser.request(`${issuer}/staff/logout`, { form: { csrf_token: csrf, return_to: '//evil.example/authorize?x' } });
    expect(out.headers.get('location')).toBe(`${issuer}/console/login`);
  });
});
