import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePassword } from '../src/accounts/passwords.ts';
import { recordAudit } from '../src/audit/audit.ts';
import { CONSOLE_SCRIPT, CONSOLE_STYLESHEET } from '../src/console/assets.ts';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { consoleCsrf, countedStore, decode, formFields, QueryCounter, staffBrowser } from './console-helpers.ts';

const PASSWORD = 'a long staff passphrase';
const DAY_MS = 86_400_000;

describe.each(DIALECTS)('the staff console on %s', (dialect) => {
  let store: TestStore;
  let server: TestServer;
  let seeded: SeededOrg;
  let issuer: string;
  let consoleUrl: string;
  const counter = new QueryCounter();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter) });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    await createStaffUser(server.store.storage.db, systemClock, seeded.org.id, { email: 'owner@acme.example', password: await preparePassword(PASSWORD), role: 'owner' });
    issuer = `${server.url}/o/acme`;
    consoleUrl = `${issuer}/console`;
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

  async function post(browser: TestBrowser, path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null }> {
    const response = await browser.request(`${consoleUrl}/${path}`, { form });
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  }

  /** The edit form of a client as the page renders it, with `change` applied. */
  async function editForm(browser: TestBrowser, clientId: string, change: Record<string, string>): Promise<Record<string, string>> {
    const { html } = await page(browser, `clients/${clientId}`);
    const value = (name: string) => decode(new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '');
    const area = (name: string) => decode(new RegExp(`name="${name}"[^>]*>([^<]*)</textarea>`).exec(html)?.[1] ?? '');
    return {
      ...formFields(html, `${consoleUrl}/clients/${clientId}`),
      name: value('name'),
      scope: value('scope'),
      code_ttl_seconds: value('code_ttl_seconds'),
      redirect_uris: area('redirect_uris'),
      post_logout_redirect_uris: area('post_logout_redirect_uris'),
      ...(html.includes('name="consent_required" value="yes" checked') ? { consent_required: 'yes' } : {}),
      ...change,
    };
  }

  it('sends a visitor without a staff session to the sign-in, and back to the page asked for after it', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Return App' });
    const browser = new TestBrowser();
    const first = await browser.request(`${consoleUrl}/clients/${clientId}`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`${consoleUrl}/login?return_to=${encodeURIComponent(`clients/${clientId}`)}`);
    const signIn = await browser.request(first.headers.get('location')!);
    const html = await signIn.text();
    // The sign-in form's autofill contract is public: it stays.
    expect(html).toContain('autocomplete="username"');
    expect(html).toContain('autocomplete="current-password"');
    const done = await browser.request(`${consoleUrl}/login`, { form: { ...formFields(html, `${consoleUrl}/login`), email: 'owner@acme.example', password: PASSWORD } });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${consoleUrl}/clients/${clientId}`);
    const landed = await browser.request(done.headers.get('location')!);
    expect(landed.status).toBe(200);
    expect(await landed.text()).toContain('Return App');
  });

  it('never sends anyone elsewhere after signing in, whatever return_to says', async () => {
    for (const hostile of ['//evil.example/x', 'https://evil.example', '../../admin', 'clients/../../x', '/o/other/console/', 'clients\r\nx: y', 'a'.repeat(300)]) {
      const browser = new TestBrowser();
      const html = await (await browser.request(`${consoleUrl}/login?${new URLSearchParams({ return_to: hostile })}`)).text();
      expect(html).not.toContain('name="return_to"');
      const done = await browser.request(`${consoleUrl}/login`, { form: { ...formFields(html, `${consoleUrl}/login`), email: 'owner@acme.example', password: PASSWORD, return_to: hostile } });
      expect(done.headers.get('location'), hostile).toBe(`${consoleUrl}/`);
    }
  });

  it('keeps the first addresses working: /staff/login signs in, /staff goes to the console, /staff/logout signs out', async () => {
    const browser = new TestBrowser();
    const html = await (await browser.request(`${issuer}/staff/login`)).text();
    expect(html).toContain('autocomplete="username"');
    const done = await browser.request(`${issuer}/staff/login`, { form: { ...formFields(html, `${consoleUrl}/login`), email: 'owner@acme.example', password: PASSWORD } });
    expect(done.headers.get('location')).toBe(`${consoleUrl}/`);
    expect((await browser.request(`${issuer}/staff`)).headers.get('location')).toBe(`${consoleUrl}/`);
    const overview = await page(browser, '');
    expect(overview.status).toBe(200);
    const out = await browser.request(`${issuer}/staff/logout`, { form: formFields(overview.html, `${consoleUrl}/logout`) });
    expect(out.headers.get('location')).toBe(`${consoleUrl}/login`);
    expect((await page(browser, '')).status).toBe(303);
  });

  it('serves every page under a strict CSP naming its own stylesheet and script, which are cached for a year', async () => {
    const { browser } = await as('owner');
    const { html, response } = await page(browser, '');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain(`style-src ${consoleUrl}/assets/${CONSOLE_STYLESHEET.name}`);
    expect(csp).toContain(`script-src ${consoleUrl}/assets/${CONSOLE_SCRIPT.name}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Nothing inline for the CSP to refuse: no script body, no style element or attribute, no handler.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const asset of [CONSOLE_STYLESHEET, CONSOLE_SCRIPT]) {
      const served = await fetch(`${consoleUrl}/assets/${asset.name}`);
      expect(served.status).toBe(200);
      expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(served.headers.get('content-type')).toBe(asset.contentType);
      expect(await served.text()).toBe(asset.body);
    }
    expect((await fetch(`${consoleUrl}/assets/console-0000000000000000.css`)).status).toBe(404);
  });

  it('has one layout: skip link, the org and the user in the header, a nav of what the role may read, and main', async () => {
    const { browser } = await as('owner');
    const { html } = await page(browser, 'clients');
    expect(html).toContain('<a class="skip-link" href="#main">Skip to content</a>');
    expect(html).toContain('<span class="org">acme Org</span>');
    expect(html).toMatch(/Signed in as <strong>owner-[a-z0-9]+@acme\.example<\/strong> \(owner\)/);
    expect(html).toContain(`<a href="${consoleUrl}/clients" aria-current="page">OAuth clients</a>`);
    expect(html).toContain(`<a href="${consoleUrl}/">Overview</a>`);
    expect(html).toContain('<main id="main" tabindex="-1">');
    // The header's sign-out: a form with its own CSRF token; the session ends.
    const out = await browser.request(`${consoleUrl}/logout`, { form: formFields(html, `${consoleUrl}/logout`) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`${consoleUrl}/login`);
    expect((await page(browser, 'clients')).status).toBe(303);
  });

  it('shows the organization\'s identifiers to copy, and its sign-ins per day as a chart with the numbers beside it', async () => {
    const orgId = seeded.org.id;
    const yesterday = () => Date.now() - DAY_MS;
    for (let i = 0; i < 3; i++) await recordAudit(db(), systemClock, orgId, { action: 'constituent.sign_in', actor: { type: 'constituent', id: 'c' } });
    for (let i = 0; i < 2; i++) await recordAudit(db(), yesterday, orgId, { action: 'constituent.sign_in_failed', actor: { type: 'anonymous', id: null } });
    // Out of the chart: another action, another org's, and 20 days ago.
    await recordAudit(db(), systemClock, orgId, { action: 'staff.sign_in', actor: { type: 'staff', id: 's' } });
    const other = await seedOrg(db(), 'other');
    await recordAudit(db(), systemClock, other.org.id, { action: 'constituent.sign_in', actor: { type: 'constituent', id: 'c' } });
    await recordAudit(db(), () => Date.now() - 20 * DAY_MS, orgId, { action: 'constituent.sign_in', actor: { type: 'constituent', id: 'c' } });
    const { browser } = await as('read_only');
    const { status, html } = await page(browser, '');
    expect(status).toBe(200);
    expect(html).toContain(`<code class="value" id="org-id">${orgId}</code>`);
    expect(html).toContain(`<code class="value" id="issuer">${issuer}</code>`);
    expect(html).toContain(`<code class="value" id="discovery">${issuer}/.well-known/openid-configuration</code>`);
    expect(html).toContain('data-copy="org-id" hidden');
    expect(html).toMatch(/<svg class="chart" id="sign-in-chart"[^>]*role="img" aria-labelledby="sign-in-chart-title sign-in-chart-desc"/);
    expect(html).toContain('<title id="sign-in-chart-title">Constituent sign-ins per day</title>');
    expect(html).toMatch(/<desc id="sign-in-chart-desc">3 sign-ins and 2 failed sign-ins from /);
    const today = new Date().toISOString().slice(0, 10);
    const dayBefore = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    expect(html).toContain(`<tr><th scope="row">${today}</th><td class="num">3</td><td class="num">0</td></tr>`);
    expect(html).toContain(`<tr><th scope="row">${dayBefore}</th><td class="num">0</td><td class="num">2</td></tr>`);
    // The sign-in chart's own table (the overview's other charts follow it).
    expect(html.slice(html.indexOf('id="sign-in-chart"'), html.indexOf('id="tokens-heading"')).match(/<tr><th scope="row">/g)).toHaveLength(14);
  });

  it('creates a client from the form and shows its secret once, on the answer to the POST', async () => {
    const { browser, staffUserId } = await as('developer');
    const form = await page(browser, 'clients/new');
    expect(form.status).toBe(200);
    const created = await post(browser, 'clients', {
      ...formFields(form.html, `${consoleUrl}/clients`),
      name: 'Volunteer portal',
      client_type: 'confidential',
      redirect_uris: 'https://portal.example.org/callback\r\n\r\nhttps://portal.example.org/other',
      scope: 'openid profile',
      code_ttl_seconds: '30',
    });
    expect(created.status).toBe(200);
    const clientId = /<code class="value" id="client-id">([^<]+)<\/code>/.exec(created.html)![1]!;
    const secret = /<code class="value" id="client-secret">([^<]+)<\/code>/.exec(created.html)![1]!;
    expect(created.html).toContain('It is shown only on this page and cannot be displayed again');
    const row = await db().selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashSecret(secret));
    expect(row.consent_required).toBeFalsy();
    expect(JSON.parse(row.redirect_uris)).toEqual(['https://portal.example.org/callback', 'https://portal.example.org/other']);
    expect(row.code_ttl_seconds).toBe(30);
    // Audited as the API's change is, with the staff user as actor; the secret nowhere but on that page.
    const event = await db().selectFrom('audit_events').selectAll().where('action', '=', 'client.created').where('target_id', '=', clientId).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor_type: 'staff', actor_id: staffUserId });
    expect(JSON.stringify(server.logs)).not.toContain(secret);
    expect((await page(browser, `clients/${clientId}`)).html).not.toContain(secret);
    // A public client has no secret to show: the answer is a redirect to its page, with a fixed message.
    const publicForm = await page(browser, 'clients/new');
    const spa = await post(browser, 'clients', { ...formFields(publicForm.html, `${consoleUrl}/clients`), name: 'Parcel SPA', client_type: 'public', redirect_uris: 'https://spa.example.org/cb', scope: 'openid' });
    expect(spa.status).toBe(303);
    expect(spa.location).toMatch(new RegExp(`^${consoleUrl}/clients/[a-z0-9]+\\?flash=client_created$`));
    expect((await page(browser, spa.location!.slice(consoleUrl.length + 1))).html).toContain('It is a public client, so it has no secret');
  });

  it('gives the login widget snippet of a client to copy, and its live preview allowed by the page\'s CSP', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Widget app' });
    const { browser } = await as('read_only');
    const { html, response } = await page(browser, `clients/${clientId}`);
    expect(html).toContain(`&lt;script src=&quot;${issuer}/widget.js&quot;\n        data-client-id=&quot;${clientId}&quot;\n        data-redirect-uri=&quot;https://app.example.org/callback&quot;`);
    expect(html).toContain(`<script src="${issuer}/widget.js" data-client-id="${clientId}" data-redirect-uri="https://app.example.org/callback" data-scope="openid profile"></script>`);
    expect(response.headers.get('content-security-policy')).toContain(`script-src ${consoleUrl}/assets/${CONSOLE_SCRIPT.name} ${issuer}/widget.js;`);
    // A client that cannot start a browser sign-in has no widget, and its page allows no other script.
    const { clientId: service } = await seedClient(db(), seeded.org.id, { name: 'Service', grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], scope: 'reports' });
    const serviceView = await page(browser, `clients/${service}`);
    expect(serviceView.html).not.toContain('widget.js');
    expect(serviceView.response.headers.get('content-security-policy')).toContain(`script-src ${consoleUrl}/assets/${CONSOLE_SCRIPT.name};`);
  });

  it('refuses a form without the CSRF token of its purpose and browser, changing nothing', async () => {
    const { browser } = await as('owner');
    const form = await page(browser, 'clients/new');
    const fields = formFields(form.html, `${consoleUrl}/clients`);
    const before = (await db().selectFrom('clients').select('id').execute()).length;
    for (const csrf of [undefined, 'x', consoleCsrf(browser, 'client-rotate:cl_1')]) {
      const refused = await post(browser, 'clients', { ...fields, ...(csrf === undefined ? { csrf_token: '' } : { csrf_token: csrf }), name: 'Forged', redirect_uris: 'https://forged.example/cb' });
      expect(refused.status).toBe(403);
      expect(refused.html).toContain('This form has expired');
    }
    // Another browser's token: the same form, from a browser with another binding cookie.
    const other = await as('owner');
    await page(other.browser, '');
    expect((await post(other.browser, 'clients', { ...fields, name: 'Forged', redirect_uris: 'https://forged.example/cb' })).status).toBe(403);
    expect((await db().selectFrom('clients').select('id').execute()).length).toBe(before);
  });

  it('answers bad input with the form again: each error beside its field, a summary, the values kept', async () => {
    const { browser } = await as('owner');
    const form = await page(browser, 'clients/new');
    const before = (await db().selectFrom('clients').select('id').execute()).length;
    const refused = await post(browser, 'clients', {
      ...formFields(form.html, `${consoleUrl}/clients`),
      name: 'Bad <b>app</b>',
      client_type: 'confidential',
      redirect_uris: 'http://insecure.example/callback',
      code_ttl_seconds: '9999',
      scope: 'openid',
    });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('<div role="alert" class="alert"><p>Nothing was saved. Correct these:</p>');
    expect(refused.html).toContain('<a href="#redirect_uris">Redirect URIs</a>');
    expect(refused.html).toContain('<a href="#code_ttl_seconds">Authorization code lifetime</a>');
    expect(refused.html).toMatch(/<p class="field-error" id="redirect_uris-error">[^<]*https[^<]*<\/p>\n<textarea id="redirect_uris" name="redirect_uris"[^>]*aria-describedby="redirect_uris-hint redirect_uris-error" aria-invalid="true"/);
    expect(refused.html).toMatch(/<p class="field-error" id="code_ttl_seconds-error">must be a whole number of seconds from 1 to 600<\/p>/);
    // Kept as typed, escaped.
    expect(refused.html).toContain('>http://insecure.example/callback</textarea>');
    expect(refused.html).toContain('value="Bad &lt;b&gt;app&lt;/b&gt;"');
    expect(refused.html).toContain('name="code_ttl_seconds" value="9999"');
    // A body that is no form at all: a 400 page, never a 500.
    const json = await fetch(`${consoleUrl}/clients`, { method: 'POST', headers: { cookie: `gh_staff=${browser.cookie('gh_staff')!}; gh_browser=${browser.cookie('gh_browser')!}`, 'content-type': 'application/json' }, body: '{"name":"x"}', redirect: 'manual' });
    expect(json.status).toBe(400);
    expect((await db().selectFrom('clients').select('id').execute()).length).toBe(before);
  });

  it('saves an edit by Post/Redirect/Get, with a fixed flash message', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Edit me' });
    const { browser } = await as('admin');
    const saved = await post(browser, `clients/${clientId}`, await editForm(browser, clientId, { name: 'Edited', consent_required: 'yes' }));
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${consoleUrl}/clients/${clientId}?flash=client_updated`);
    const after = await page(browser, `clients/${clientId}?flash=client_updated`);
    expect(after.html).toContain('<p class="notice" role="status">The client was saved.</p>');
    expect(after.html).toContain('value="Edited"');
    // A flash is only ever one of the fixed keys: no text from the URL reaches the page.
    const forged = await page(browser, `clients/${clientId}?flash=${encodeURIComponent('<script>x</script>')}`);
    expect(forged.html).not.toContain('class="notice"');
    const event = await db().selectFrom('audit_events').selectAll().where('action', '=', 'client.updated').where('target_id', '=', clientId).executeTakeFirstOrThrow();
    expect(event.actor_type).toBe('staff');
  });

  it('refuses a save over another admin\'s change: the form again, "changed since you opened it", with the current values', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Contended' });
    const { browser: alice } = await as('admin');
    const { browser: bob } = await as('admin');
    const aliceForm = await editForm(alice, clientId, { name: 'Alice was here' });
    const bobForm = await editForm(bob, clientId, { name: 'Bob was here' });
    expect((await post(alice, `clients/${clientId}`, aliceForm)).status).toBe(303);
    const stale = await post(bob, `clients/${clientId}`, bobForm);
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE_MESSAGE.replace(/'/g, '&#39;'));
    expect(stale.html).toContain('value="Alice was here"');
    expect(stale.html).not.toContain('Bob was here');
    const row = await db().selectFrom('clients').select(['name', 'updated_at']).where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row.name).toBe('Alice was here');
    // The form now carries the current version: sending it again saves.
    expect(formFields(stale.html, `${consoleUrl}/clients/${clientId}`).version).toBe(String(row.updated_at));
    // Without a version the form is stale too, never a blind overwrite.
    const { version: _dropped, ...unversioned } = bobForm;
    expect((await post(bob, `clients/${clientId}`, unversioned)).status).toBe(409);
    expect((await db().selectFrom('clients').select('name').where('id', '=', clientId).executeTakeFirstOrThrow()).name).toBe('Alice was here');
  });

  it('rotates a secret: the new one shown once, the previous one kept for the grace period shown', async () => {
    const { clientId, clientSecret } = await seedClient(db(), seeded.org.id, { name: 'Rotating' });
    const { browser } = await as('developer');
    const view = await page(browser, `clients/${clientId}`);
    expect(view.html).toContain('The current one keeps working for 24 hours');
    const rotated = await post(browser, `clients/${clientId}/rotate-secret`, formFields(view.html, `${consoleUrl}/clients/${clientId}/rotate-secret`));
    expect(rotated.status).toBe(200);
    const secret = /<code class="value" id="client-secret">([^<]+)<\/code>/.exec(rotated.html)![1]!;
    const row = await db().selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashSecret(secret));
    expect(row.previous_secret_hash).toBe(hashSecret(clientSecret!));
    const until = new Date(Number(row.previous_secret_expires_at)).toISOString().slice(0, 16).replace('T', ' ');
    expect(rotated.html).toContain(`the previous secret keeps working until ${until} UTC`);
    expect((await page(browser, `clients/${clientId}`)).html).toContain(`The previous secret keeps working until ${until} UTC.`);
    // A public client has no secret: the page says why, never a 500.
    const { clientId: publicId } = await seedClient(db(), seeded.org.id, { name: 'SPA', clientType: 'public' });
    await page(browser, `clients/${publicId}`);
    const refused = await post(browser, `clients/${publicId}/rotate-secret`, { csrf_token: consoleCsrf(browser, `client-rotate:${publicId}`) });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain('a public client has no secret to rotate');
  });

  it('shows a read-only role no write control, and answers its writes with the console\'s 403 page', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Look only' });
    const { browser } = await as('read_only');
    const list = await page(browser, 'clients');
    expect(list.status).toBe(200);
    expect(list.html).not.toContain('New client');
    const view = await page(browser, `clients/${clientId}`);
    expect(view.html).toContain('Look only');
    expect(view.html).not.toContain('<form method="post" action="' + `${consoleUrl}/clients/${clientId}`);
    expect(view.html).not.toContain('Rotate secret');
    const newForm = await page(browser, 'clients/new');
    expect(newForm.status).toBe(403);
    expect(newForm.html).toContain('<h1>Not allowed</h1>');
    expect(newForm.html).toContain('<code>clients:write</code>');
    // A forged write with a valid token: the use case refuses it, and the console says so.
    const refused = await post(browser, `clients/${clientId}`, { csrf_token: consoleCsrf(browser, `client-update:${clientId}`), version: '1', name: 'Changed' });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('<span class="org">acme Org</span>');
    expect((await db().selectFrom('clients').select('name').where('id', '=', clientId).executeTakeFirstOrThrow()).name).toBe('Look only');
  });

  it('answers unknown ids and pages with the console\'s 404 page, and a bad cursor with a 400 page, never a 500', async () => {
    const { browser } = await as('owner');
    // A NUL in an id: PostgreSQL text cannot hold one, so it must not reach a query (every section's id, one check).
    const withNul = ['clients/cl_%00x', 'constituents/%00', 'registrations/%00', 'staff/%00', 'scopes/a%00b'];
    for (const path of ['clients/cl_doesnotexist', `clients/${'x'.repeat(300)}`, 'nothing/here', ...withNul]) {
      const missing = await page(browser, path);
      expect(missing.status, path).toBe(404);
      expect(missing.html).toContain('<h1>Not found</h1>');
      expect(missing.html).toContain('<a class="skip-link" href="#main">');
      expect(missing.html).not.toContain('doesnotexist');
    }
    const posted = await post(browser, 'clients/cl_doesnotexist', { csrf_token: 'x' });
    expect(posted.status).toBe(404);
    const cursor = await page(browser, 'clients?cursor=%3Cnot-a-cursor%3E');
    expect(cursor.status).toBe(400);
    expect(cursor.html).toContain('<h1>Invalid request</h1>');
    expect(cursor.html).not.toContain('<not-a-cursor>');
  });

  it('reads a bounded number of statements per page, whatever the number of clients', async () => {
    const { browser } = await as('owner');
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Counted' });
    const measure = async (path: string): Promise<number> => {
      await page(browser, path); // warm: the org is cached per process
      counter.count = 0;
      const { status } = await page(browser, path);
      expect(status, path).toBe(200);
      return counter.count;
    };
    const few = { overview: await measure(''), clients: await measure('clients'), client: await measure(`clients/${clientId}`), new: await measure('clients/new') };
    for (let i = 0; i < 30; i++) await seedClient(db(), seeded.org.id, { name: `Bulk ${i}` });
    for (let i = 0; i < 30; i++) await recordAudit(db(), () => Date.now() - (i % 10) * DAY_MS, seeded.org.id, { action: 'constituent.sign_in', actor: { type: 'constituent', id: 'c' } });
    const many = { overview: await measure(''), clients: await measure('clients'), client: await measure(`clients/${clientId}`), new: await measure('clients/new') };
    expect(many).toEqual(few);
    // The session, then the page's own reads: one grouped count per chart (sign-ins, tokens issued,
    // live sessions, clients by status, connectors by status), one page of clients, one client.
    expect(few).toEqual({ overview: 6, clients: 2, client: 2, new: 1 });
  });
});
