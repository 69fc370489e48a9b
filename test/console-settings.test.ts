import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { systemClock } from '../src/lib/clock.ts';
import { getOrganizationById, updateOrganization } from '../src/orgs/orgs.ts';
import type { TestBrowser } from './helpers/browser.ts';
import { seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { consoleCsrf, countedStore, decode, formFields, QueryCounter, staffBrowser } from './console-helpers.ts';

// Settings and branding (settings-pages.ts): the organization's form through changeOrganization,
// the sign-in preview, on both stores.

describe.each(DIALECTS)('the console\'s settings and branding on %s', (dialect) => {
  let store: TestStore;
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;
  const counter = new QueryCounter();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter) });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    consoleUrl = `${server.url}/o/acme/console`;
  });
  afterAll(async () => {
    await server?.close();
    await store?.dispose();
  });

  const db = () => server.store.storage.db;
  const as = (role: Parameters<typeof staffBrowser>[3]) => staffBrowser(db(), seeded.org.id, 'acme', role);

  async function page(browser: TestBrowser, path: string): Promise<{ status: number; html: string; response: Response }> {
    const response = await browser.request(`${consoleUrl}/${path}`);
    return { status: response.status, html: await response.text(), response };
  }
  async function post(browser: TestBrowser, path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null; response: Response }> {
    const response = await browser.request(`${consoleUrl}/${path}`, { form });
    return { status: response.status, html: await response.text(), location: response.headers.get('location'), response };
  }

  /** The settings form as the page renders it, with `change` applied (as a person would send it). */
  async function settingsForm(browser: TestBrowser, change: Record<string, string | undefined>): Promise<Record<string, string>> {
    const { html } = await page(browser, 'settings');
    const value = (name: string) => decode(new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '');
    const area = (name: string) => decode(new RegExp(`name="${name}"[^>]*>([^<]*)</textarea>`).exec(html)?.[1] ?? '');
    const fields: Record<string, string | undefined> = {
      ...formFields(html, `${consoleUrl}/settings`),
      name: value('name'),
      logo_url: value('logo_url'),
      primary_color: value('primary_color'),
      accent_color: value('accent_color'),
      self_registration: /name="self_registration" value="open" checked/.test(html) ? 'open' : 'closed',
      ...(html.includes('name="consent_required_by_default" value="yes" checked') ? { consent_required_by_default: 'yes' } : {}),
      code_ttl_seconds: value('code_ttl_seconds'),
      access_token_ttl_seconds: value('access_token_ttl_seconds'),
      id_token_ttl_seconds: value('id_token_ttl_seconds'),
      refresh_token_ttl_seconds: value('refresh_token_ttl_seconds'),
      sso_session_ttl_seconds: value('sso_session_ttl_seconds'),
      connect_target_origins: area('connect_target_origins'),
      ...change,
    };
    return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  it('shows the settings in one form with the org\'s version, and a preview frame the CSP allows exactly', async () => {
    const { browser } = await as('admin');
    const { status, html, response } = await page(browser, 'settings');
    expect(status).toBe(200);
    const org = await getOrganizationById(db(), seeded.org.id);
    expect(formFields(html, `${consoleUrl}/settings`).version).toBe(String(org.updatedAt));
    expect(html).toContain('name="access_token_ttl_seconds" value="3600"');
    expect(html).toContain(`<iframe class="sign-in-preview" name="sign-in-preview" title="Preview of the sign-in page" src="${consoleUrl}/settings/preview" sandbox=""`);
    expect(html).toContain(`formaction="${consoleUrl}/settings/preview" formtarget="sign-in-preview"`);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain(`frame-src ${consoleUrl}/settings/preview;`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|nonce-/);
    // No other console page may frame anything.
    expect((await page(browser, '')).response.headers.get('content-security-policy')).not.toContain('frame-src');
    expect(html).toContain(`<a href="${consoleUrl}/settings" aria-current="page">Settings</a>`);
  });

  it('saves the branding, lifetimes and origins by Post/Redirect/Get, audited as the API\'s PATCH is', async () => {
    const { browser } = await as('admin');
    const form = await settingsForm(browser, {
      name: 'Acme Food Bank',
      logo_url: 'https://cdn.acme.example/logo.png',
      primary_color: '#0F766E',
      accent_color: '',
      self_registration: 'open',
      consent_required_by_default: undefined,
      access_token_ttl_seconds: '900',
      connect_target_origins: 'https://crm.acme.example\r\n\r\nhttp://localhost:3000\r\n',
    });
    const saved = await post(browser, 'settings', form);
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${consoleUrl}/settings?flash=settings_saved`);
    const org = await getOrganizationById(db(), seeded.org.id);
    expect(org.name).toBe('Acme Food Bank');
    expect(org.settings).toMatchObject({ logoUrl: 'https://cdn.acme.example/logo.png', primaryColor: '#0f766e', accentColor: null, selfRegistration: 'open', consentRequiredByDefault: false, accessTokenTtlSeconds: 900, connectTargetOrigins: ['https://crm.acme.example', 'http://localhost:3000'] });
    const audit = await db().selectFrom('audit_events').select(['action', 'details']).where('org_id', '=', seeded.org.id).where('action', '=', 'org.updated').orderBy('occurred_at', 'desc').executeTakeFirstOrThrow();
    expect(audit.details).toContain('access_token_ttl_seconds');
    const after = await page(browser, saved.location!.slice(consoleUrl.length + 1));
    expect(after.html).toContain('<p class="notice" role="status">The settings were saved. The hosted pages use them from now on.</p>');
    expect(after.html).toContain('name="primary_color" value="#0f766e"');
    // The hosted sign-up is open now: the server dropped its cached copy of the org.
    expect((await fetch(`${server.url}/o/acme/signup`)).status).not.toBe(404);
  });

  it('answers bad input with the form again: each error beside its field, a summary, the values kept, nothing saved', async () => {
    const { browser } = await as('admin');
    const before = await getOrganizationById(db(), seeded.org.id);
    const form = await settingsForm(browser, { name: 'Kept name', primary_color: 'teal', logo_url: 'http://insecure.example/logo.png', code_ttl_seconds: '601', refresh_token_ttl_seconds: 'soon', connect_target_origins: 'https://ok.example\nhttps://bad.example/path' });
    const refused = await post(browser, 'settings', form);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Nothing was saved');
    for (const name of ['primary_color', 'logo_url', 'code_ttl_seconds', 'refresh_token_ttl_seconds', 'connect_target_origins']) {
      expect(refused.html, name).toContain(`<p class="field-error" id="${name}-error">`);
      expect(refused.html, name).toContain(`<li><a href="#${name}">`);
    }
    expect(refused.html).toContain('line 2 must be an origin');
    expect(refused.html).toContain('name="name" value="Kept name"');
    expect(refused.html).toContain('name="primary_color" value="teal"');
    expect(refused.html).toContain('https://bad.example/path</textarea>');
    expect((await getOrganizationById(db(), seeded.org.id)).updatedAt).toBe(before.updatedAt);
  });

  it('never answers a 500, whatever the form holds', async () => {
    const { browser } = await as('admin');
    const form = await settingsForm(browser, {});
    const hostile: Array<Record<string, string>> = [
      { csrf_token: form.csrf_token!, version: form.version! },
      { ...form, code_ttl_seconds: '1e999', access_token_ttl_seconds: '-0', id_token_ttl_seconds: '0x10', sso_session_ttl_seconds: '3600.5' },
      { ...form, name: 'x'.repeat(5000), logo_url: `https://${'a'.repeat(3000)}.example/l.png`, primary_color: '\u0000', connect_target_origins: 'https://a.example\n'.repeat(60) },
      { ...form, version: '99999999999999999999' },
    ];
    for (const [i, fields] of hostile.entries()) expect([400, 409], `form ${i}`).toContain((await post(browser, 'settings', fields)).status);
    // Markup as a name and an unknown policy: saved as text (the policy as closed), shown escaped.
    const odd = { ...form, self_registration: 'sideways', name: '<script>alert(1)</script>' };
    expect((await post(browser, 'settings', odd)).status).toBe(303);
    const shown = await page(browser, 'settings');
    expect(shown.html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(shown.html).not.toContain('<script>alert(1)</script>');
    // The preview draws whatever it gets (the page kit drops a bad colour or logo); a body over the forms' limits is a 400 page.
    for (const [i, fields] of [...hostile, odd].entries()) expect([200, 400], `preview ${i}`).toContain((await post(browser, 'settings/preview', fields)).status);
  });

  it('refuses a save over another admin\'s change with the stale message and the current values; a form without a version too', async () => {
    const { browser } = await as('admin');
    const form = await settingsForm(browser, { name: 'Mine' });
    await updateOrganization(db(), systemClock, seeded.org.id, { name: 'Theirs' });
    const stale = await post(browser, 'settings', form);
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE_MESSAGE);
    expect(stale.html).toContain('name="name" value="Theirs"');
    const fresh = await getOrganizationById(db(), seeded.org.id);
    expect(formFields(stale.html, `${consoleUrl}/settings`).version).toBe(String(fresh.updatedAt));
    expect(fresh.name).toBe('Theirs');
    const { version: _omitted, ...withoutVersion } = await settingsForm(browser, { name: 'Blind' });
    const blind = await post(browser, 'settings', withoutVersion);
    expect(blind.status).toBe(409);
    expect(blind.html).toContain(STALE_MESSAGE);
    expect((await getOrganizationById(db(), seeded.org.id)).name).toBe('Theirs');
  });

  it('refuses a form without the CSRF token of its purpose, changing nothing', async () => {
    const { browser } = await as('admin');
    const form = await settingsForm(browser, { name: 'Forged' });
    const forged = await post(browser, 'settings', { ...form, csrf_token: 'x' });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain('This form has expired');
    expect((await getOrganizationById(db(), seeded.org.id)).name).not.toBe('Forged');
  });

  it('previews the hosted sign-in page with the form\'s values: framed by the console only, posting nowhere, nothing saved', async () => {
    const { browser } = await as('admin');
    const before = await getOrganizationById(db(), seeded.org.id);
    const form = await settingsForm(browser, { name: 'Preview <b>Bank</b>', primary_color: '#7c2d12', logo_url: 'https://img.preview.example/l.png', self_registration: 'open' });
    const preview = await post(browser, 'settings/preview', form);
    expect(preview.status).toBe(200);
    // The hosted page itself: its autofill contract, the brand as typed (escaped), the colour in its stylesheet.
    expect(preview.html).toContain('autocomplete="username"');
    expect(preview.html).toContain('autocomplete="current-password"');
    expect(preview.html).toContain('<img src="https://img.preview.example/l.png" alt="Preview &lt;b&gt;Bank&lt;/b&gt;"');
    expect(preview.html).toContain('--primary:#7c2d12');
    expect(preview.html).toContain('Create an account');
    const csp = preview.response.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain('img-src https://img.preview.example');
    expect(csp).not.toContain('unsafe-inline');
    expect((await getOrganizationById(db(), seeded.org.id)).updatedAt).toBe(before.updatedAt);
    // A bad colour or logo falls back to the default look, as the hosted pages do.
    const fallback = await post(browser, 'settings/preview', { ...form, primary_color: 'red;}body{display:none', logo_url: 'javascript:alert(1)' });
    expect(fallback.html).toContain('--primary:#1d4ed8');
    expect(fallback.html).not.toContain('<img');
    // Another site's form (no token of this browser): the stored look, not the text it sent.
    const forged = await post(browser, 'settings/preview', { ...form, csrf_token: 'x' });
    expect(forged.status).toBe(403);
    expect(forged.html).not.toContain('Preview &lt;b&gt;Bank');
    // The frame's first page: the stored look.
    const stored = await page(browser, 'settings/preview');
    expect(stored.status).toBe(200);
    expect(stored.html).toContain('<title>Sign in to ');
    expect(stored.html).not.toContain('Preview &lt;b&gt;Bank');
    expect(stored.response.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
  });

  it('shows a read-only role the settings without a form, and refuses its writes with the 403 page', async () => {
    const { browser } = await as('read_only');
    const { status, html } = await page(browser, 'settings');
    expect(status).toBe(200);
    expect(html).not.toContain(`action="${consoleUrl}/settings"`);
    expect(html).toContain('<dt>Access token lifetime</dt>');
    // A valid form of this browser: the use case refuses it (org:write), not the page.
    const org = await getOrganizationById(db(), seeded.org.id);
    const refused = await post(browser, 'settings', { csrf_token: consoleCsrf(browser, 'settings-update'), version: String(org.updatedAt), name: 'Nope', code_ttl_seconds: '600', access_token_ttl_seconds: '3600', id_token_ttl_seconds: '3600', refresh_token_ttl_seconds: '86400', sso_session_ttl_seconds: '3600' });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('<code>org:write</code>');
    expect((await getOrganizationById(db(), seeded.org.id)).name).not.toBe('Nope');
  });

  it('reads a bounded number of statements: the settings page and its preview', async () => {
    const { browser } = await as('owner');
    const measure = async (path: string): Promise<number> => {
      await page(browser, path);
      counter.count = 0;
      const { status } = await page(browser, path);
      expect(status, path).toBe(200);
      return counter.count;
    };
    // The session's read only: the org is the request's, read with its scope.
    expect({ settings: await measure('settings'), preview: await measure('settings/preview') }).toEqual({ settings: 1, preview: 1 });
  });
});
