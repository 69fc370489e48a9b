import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { findOrganizationById } from '../src/orgs/orgs.ts';
import type { TestBrowser } from './helpers/browser.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { consoleCsrf, countedStore, decode, formFields, QueryCounter, staffBrowser } from './console-helpers.ts';

const STALE = STALE_MESSAGE.replace(/'/g, '&#39;');

/** Registrations (Neos), the client lifecycle and custom scopes in the console, on both stores. */
describe.each(DIALECTS)('the console\'s registrations, client lifecycle and scopes on %s', (dialect) => {
  let store: TestStore;
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;
  const counter = new QueryCounter();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter) });
    seeded = await seedOrg(server.store.storage.db, 'neos');
    consoleUrl = `${server.url}/o/neos/console`;
  });
  afterAll(async () => {
    await server?.close();
    await store?.dispose();
  });

  const db = () => server.store.storage.db;
  const as = (role: Parameters<typeof staffBrowser>[3]) => staffBrowser(db(), seeded.org.id, 'neos', role);
  const statusOf = async (clientId: string) => (await db().selectFrom('clients').select('status').where('id', '=', clientId).executeTakeFirst())?.status;
  const pending = (name: string, email = 'ann@checkin.example.org') =>
    seedClient(db(), seeded.org.id, { name, registration: { source: 'registration_page', requesterName: 'Ann Organiser', requesterEmail: email, requestReason: 'Check-in kiosk for events' } });
  const orgVersion = async () => (await findOrganizationById(db(), seeded.org.id))!.updatedAt;

  async function page(browser: TestBrowser, path: string): Promise<{ status: number; html: string }> {
    const response = await browser.request(`${consoleUrl}/${path}`);
    return { status: response.status, html: await response.text() };
  }
  async function post(browser: TestBrowser, path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null }> {
    const response = await browser.request(`${consoleUrl}/${path}`, { form });
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  }
  /** Adds a custom scope through the console (which drops the process's cached org, as a direct write would not). */
  async function addScope(browser: TestBrowser, name: string, description: string, attributes: string): Promise<void> {
    const fields = formFields((await page(browser, 'scopes')).html, `${consoleUrl}/scopes`);
    expect((await post(browser, 'scopes', { ...fields, name, description, attributes })).status).toBe(303);
  }
  async function auditOf(action: string, targetId: string) {
    return db().selectFrom('audit_events').selectAll().where('org_id', '=', seeded.org.id).where('action', '=', action).where('target_id', '=', targetId).executeTakeFirst();
  }

  it('lists the pending requests only, with who asked, and shows a request with what it asks for', async () => {
    const { clientId } = await pending('Check-in kiosk');
    const { clientId: active } = await seedClient(db(), seeded.org.id, { name: 'Already active' });
    const { browser } = await as('read_only');
    const list = await page(browser, 'registrations');
    expect(list.status).toBe(200);
    expect(list.html).toContain(`<a href="${consoleUrl}/registrations" aria-current="page">Registrations</a>`);
    expect(list.html).toContain(`<td><a href="${consoleUrl}/registrations/${clientId}">Check-in kiosk</a></td><td>ann@checkin.example.org</td><td>the registration page</td>`);
    expect(list.html).not.toContain('Already active');
    const view = await page(browser, `registrations/${clientId}`);
    expect(view.html).toContain('<dt>Why</dt><dd>Check-in kiosk for events</dd>');
    expect(view.html).toContain('<li><code>https://app.example.org/callback</code></li>');
    // A read-only role decides nothing: no form, and the server refuses a forged one.
    expect(view.html).not.toContain('/approve"');
    expect(view.html).not.toContain('name="mode"');
    const forged = await post(browser, `registrations/${clientId}/approve`, { csrf_token: consoleCsrf(browser, `registration-approve:${clientId}`) });
    expect(forged.status).toBe(403);
    expect(await statusOf(clientId)).toBe('pending');
    expect((await page(browser, `registrations/${active}`)).html).toContain('This request was decided already.');
  });

  it('approves a request by Post/Redirect/Get, audited with the staff user and the requester', async () => {
    const { clientId } = await pending('Approve me');
    const { browser, staffUserId } = await as('developer');
    const view = await page(browser, `registrations/${clientId}`);
    const done = await post(browser, `registrations/${clientId}/approve`, formFields(view.html, `${consoleUrl}/registrations/${clientId}/approve`));
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${consoleUrl}/registrations?flash=registration_approved`);
    expect((await page(browser, 'registrations?flash=registration_approved')).html).toContain('The registration was approved');
    expect(await statusOf(clientId)).toBe('active');
    const event = await auditOf('client.approved', clientId);
    expect(event).toMatchObject({ actor_type: 'staff', actor_id: staffUserId });
    expect(JSON.parse(event!.details!)).toMatchObject({ from: 'pending', to: 'active', requester_email: 'ann@checkin.example.org' });
    // Approving it again (a second tab): the conflict's message, nothing changed, never a 500.
    const again = await post(browser, `registrations/${clientId}/approve`, { csrf_token: consoleCsrf(browser, `registration-approve:${clientId}`) });
    expect(again.status).toBe(409);
    expect(again.html).toContain('cannot approve a client that is active');
  });

  it('rejects only with a reason: without one the form again with the error beside it, nothing changed', async () => {
    const { clientId } = await pending('Reject me');
    const { browser } = await as('admin');
    const view = await page(browser, `registrations/${clientId}`);
    const fields = formFields(view.html, `${consoleUrl}/registrations/${clientId}/reject`);
    const refused = await post(browser, `registrations/${clientId}/reject`, { ...fields, reason: '   ' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('<a href="#reason">Reason</a>');
    expect(refused.html).toMatch(/<p class="field-error" id="reason-error">is required[^<]*<\/p>\n<textarea id="reason" name="reason"[^>]*aria-invalid="true"/);
    expect(await statusOf(clientId)).toBe('pending');
    const long = await post(browser, `registrations/${clientId}/reject`, { ...fields, reason: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(long.html).toContain(`>${'x'.repeat(501)}</textarea>`);
    const done = await post(browser, `registrations/${clientId}/reject`, { ...fields, reason: 'Not a <b>Neos</b> event' });
    expect(done.location).toBe(`${consoleUrl}/registrations?flash=registration_rejected`);
    expect(await statusOf(clientId)).toBe('rejected');
    expect(JSON.parse((await auditOf('client.rejected', clientId))!.details!)).toMatchObject({ reason: 'Not a <b>Neos</b> event' });
  });

  it('refuses a decision without the CSRF token of its purpose and client, changing nothing', async () => {
    const { clientId } = await pending('Forged');
    const { clientId: other } = await pending('Other');
    const { browser } = await as('owner');
    await page(browser, `registrations/${clientId}`);
    for (const token of ['', 'x', consoleCsrf(browser, `registration-approve:${other}`), consoleCsrf(browser, `registration-reject:${clientId}`)]) {
      const refused = await post(browser, `registrations/${clientId}/approve`, { csrf_token: token });
      expect(refused.status).toBe(403);
      expect(refused.html).toContain('This form has expired');
    }
    expect(await statusOf(clientId)).toBe('pending');
  });

  it('opens and closes registration with the org\'s version, and shows a new initial access token once', async () => {
    const { browser } = await as('admin');
    const view = await page(browser, 'registrations');
    const fields = formFields(view.html, `${consoleUrl}/registrations/policy`);
    expect(fields.version).toBe(String(await orgVersion()));
    const opened = await post(browser, 'registrations/policy', { ...fields, mode: 'approval', initial_access_token: 'keep' });
    expect(opened.location).toBe(`${consoleUrl}/registrations?flash=registration_policy_saved`);
    const after = await page(browser, 'registrations?flash=registration_policy_saved');
    expect(after.html).toContain('The registration policy was saved.');
    expect(after.html).toContain(`<code class="value" id="registration-page">${server.url}/o/neos/register</code>`);
    expect((await findOrganizationById(db(), seeded.org.id))!.settings.clientRegistration).toBe('approval');
    // A new token: shown on the POST's answer only, stored as its hash, in no log.
    const withToken = await post(browser, 'registrations/policy', { ...formFields(after.html, `${consoleUrl}/registrations/policy`), mode: 'approval', initial_access_token: 'new' });
    expect(withToken.status).toBe(200);
    const token = /<code class="value" id="initial-access-token">([^<]+)<\/code>/.exec(withToken.html)![1]!;
    expect((await findOrganizationById(db(), seeded.org.id))!.settings.registrationInitialAccessTokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(server.logs)).not.toContain(token);
    expect((await page(browser, 'registrations')).html).not.toContain(token);
    const event = await db().selectFrom('audit_events').selectAll().where('org_id', '=', seeded.org.id).where('action', '=', 'client_registration.updated').orderBy('occurred_at', 'desc').executeTakeFirstOrThrow();
    expect(event.details).not.toContain(token);
    // The form of the previous version is stale now: refused with the message, nothing changed.
    const stale = await post(browser, 'registrations/policy', { ...fields, mode: 'closed', initial_access_token: 'none' });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE);
    expect(formFields(stale.html, `${consoleUrl}/registrations/policy`).version).toBe(String(await orgVersion()));
    const missing = await post(browser, 'registrations/policy', { csrf_token: fields.csrf_token!, mode: 'closed' });
    expect(missing.status).toBe(409);
    // A value no radio offers: the field's error, never a 500.
    const fresh = formFields((await page(browser, 'registrations')).html, `${consoleUrl}/registrations/policy`);
    const bad = await post(browser, 'registrations/policy', { ...fresh, mode: 'open<script>', initial_access_token: 'keep' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<p class="field-error" id="mode-error">choose one of the options</p>');
    expect(bad.html).not.toContain('open<script>');
    const settings = (await findOrganizationById(db(), seeded.org.id))!.settings;
    expect(settings.clientRegistration).toBe('approval');
    expect(settings.registrationInitialAccessTokenHash).toBe(hashSecret(token));
    // A developer may decide on clients but not change the organization: no form, and a refusal.
    const { browser: developer } = await as('developer');
    expect((await page(developer, 'registrations')).html).not.toContain('name="mode"');
    expect((await post(developer, 'registrations/policy', { csrf_token: consoleCsrf(developer, 'registration-policy'), version: fresh.version!, mode: 'closed' })).status).toBe(403);
  });

  it('suspends, reactivates and deletes a client from its page, each after a confirmation page', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Lifecycle app' });
    const { browser, staffUserId } = await as('developer');
    const view = await page(browser, `clients/${clientId}`);
    expect(view.html).toContain(`<a class="button secondary" href="${consoleUrl}/clients/${clientId}/suspend">Suspend…</a>`);
    expect(view.html).not.toContain(`/clients/${clientId}/reactivate"`);
    expect(view.html).toContain(`<a class="button secondary" href="${consoleUrl}/clients/${clientId}/delete">Delete…</a>`);
    const confirm = await page(browser, `clients/${clientId}/suspend`);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Every token and code it holds is revoked at once');
    // Opening the confirmation changes nothing.
    expect(await statusOf(clientId)).toBe('active');
    const suspended = await post(browser, `clients/${clientId}/suspend`, { ...formFields(confirm.html, `${consoleUrl}/clients/${clientId}/suspend`), reason: 'Leaked secret' });
    expect(suspended.location).toBe(`${consoleUrl}/clients/${clientId}?flash=client_suspended`);
    expect(await statusOf(clientId)).toBe('suspended');
    expect(JSON.parse((await auditOf('client.suspended', clientId))!.details!)).toMatchObject({ reason: 'Leaked secret' });
    expect((await auditOf('client.suspended', clientId))!.actor_id).toBe(staffUserId);
    const now = await page(browser, `clients/${clientId}?flash=client_suspended`);
    expect(now.html).toContain('The client was suspended');
    expect(now.html).toContain(`href="${consoleUrl}/clients/${clientId}/reactivate"`);
    // The stale tab's suspend: a conflict message on the confirmation page, never a 500.
    const twice = await post(browser, `clients/${clientId}/suspend`, formFields(confirm.html, `${consoleUrl}/clients/${clientId}/suspend`));
    expect(twice.status).toBe(409);
    expect(twice.html).toContain('cannot suspend a client that is suspended');
    const back = await page(browser, `clients/${clientId}/reactivate`);
    expect((await post(browser, `clients/${clientId}/reactivate`, formFields(back.html, `${consoleUrl}/clients/${clientId}/reactivate`))).location).toBe(`${consoleUrl}/clients/${clientId}?flash=client_reactivated`);
    expect(await statusOf(clientId)).toBe('active');
    const del = await page(browser, `clients/${clientId}/delete`);
    expect(del.html).toContain('This cannot be undone');
    const deleted = await post(browser, `clients/${clientId}/delete`, formFields(del.html, `${consoleUrl}/clients/${clientId}/delete`));
    expect(deleted.location).toBe(`${consoleUrl}/clients?flash=client_deleted`);
    expect(await statusOf(clientId)).toBeUndefined();
    expect((await page(browser, 'clients?flash=client_deleted')).html).toContain('The client was deleted');
    expect(await auditOf('client.deleted', clientId)).toBeDefined();
    // Gone: its pages are the console's 404.
    expect((await page(browser, `clients/${clientId}/delete`)).status).toBe(404);
  });

  it('shows no lifecycle control to a role that may not change clients, and refuses its forged steps', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Support sees' });
    const { browser } = await as('support');
    const view = await page(browser, `clients/${clientId}`);
    expect(view.status).toBe(200);
    expect(view.html).not.toContain(`/clients/${clientId}/suspend"`);
    expect(view.html).not.toContain(`/clients/${clientId}/delete"`);
    expect((await page(browser, `clients/${clientId}/delete`)).status).toBe(403);
    expect((await post(browser, `clients/${clientId}/delete`, { csrf_token: consoleCsrf(browser, `client-delete:${clientId}`) })).status).toBe(403);
    expect((await post(browser, `clients/${clientId}/suspend`, { csrf_token: consoleCsrf(browser, `client-suspend:${clientId}`) })).status).toBe(403);
    expect(await statusOf(clientId)).toBe('active');
    // And a token of another step is refused as expired, before anything is done.
    const { browser: owner } = await as('owner');
    await page(owner, `clients/${clientId}`);
    expect((await post(owner, `clients/${clientId}/delete`, { csrf_token: consoleCsrf(owner, `client-suspend:${clientId}`) })).status).toBe(403);
    expect(await statusOf(clientId)).toBe('active');
  });

  it('adds, edits and removes a custom scope, each error beside its field, never redefining one by adding', async () => {
    const { browser, staffUserId } = await as('admin');
    const list = await page(browser, 'scopes');
    expect(list.html).toContain(`<a href="${consoleUrl}/clients" aria-current="page">OAuth clients</a>`);
    expect(list.html).toContain('<code>offline_access</code>');
    const fields = formFields(list.html, `${consoleUrl}/scopes`);
    const added = await post(browser, 'scopes', { ...fields, name: 'patreon', description: 'Your Patreon tier', attributes: 'patreon_tier\r\npatreon_since' });
    expect(added.location).toBe(`${consoleUrl}/scopes?flash=scope_created`);
    expect((await findOrganizationById(db(), seeded.org.id))!.settings.customScopes.patreon).toEqual({ description: 'Your Patreon tier', attributes: ['patreon_tier', 'patreon_since'] });
    expect((await auditOf('scope.created', 'patreon'))!.actor_id).toBe(staffUserId);
    // Adding the same name again is refused beside the name (it would overwrite).
    const dup = await post(browser, 'scopes', { ...fields, name: 'patreon', description: 'Overwrite', attributes: '' });
    expect(dup.status).toBe(400);
    expect(dup.html).toContain('<p class="field-error" id="name-error">is the name of a custom scope already');
    expect(dup.html).toContain('value="Overwrite"');
    // Bad values: each rule beside its field, the values kept, the typed name not echoed in the rule.
    const bad = await post(browser, 'scopes', { ...fields, name: 'openid', description: '', attributes: 'Bad-Attr\nemail' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<a href="#name">Name</a>');
    expect(bad.html).toContain('<a href="#description">Description</a>');
    expect(bad.html).toMatch(/<p class="field-error" id="attributes-error">each attribute name must be[^<]*<\/p>/);
    expect(bad.html).toContain('>Bad-Attr\nemail</textarea>');
    expect(bad.html.split('Bad-Attr').length).toBe(2);
    // Edit with the org's version; a stale form is refused with the current values.
    const view = await page(browser, 'scopes/patreon');
    const edit = formFields(view.html, `${consoleUrl}/scopes/patreon`);
    const saved = await post(browser, 'scopes/patreon', { ...edit, description: 'Your Patreon membership', attributes: 'patreon_tier' });
    expect(saved.location).toBe(`${consoleUrl}/scopes/patreon?flash=scope_updated`);
    expect((await findOrganizationById(db(), seeded.org.id))!.settings.customScopes.patreon!.attributes).toEqual(['patreon_tier']);
    const stale = await post(browser, 'scopes/patreon', { ...edit, description: 'Old tab', attributes: '' });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE);
    expect(stale.html).toContain('value="Your Patreon membership"');
    expect(stale.html).not.toContain('Old tab');
    // Remove after its confirmation.
    const confirm = await page(browser, 'scopes/patreon/remove');
    expect(confirm.html).toContain('stop being released at once');
    const removed = await post(browser, 'scopes/patreon/remove', formFields(confirm.html, `${consoleUrl}/scopes/patreon/remove`));
    expect(removed.location).toBe(`${consoleUrl}/scopes?flash=scope_deleted`);
    expect(Object.hasOwn((await findOrganizationById(db(), seeded.org.id))!.settings.customScopes, 'patreon')).toBe(false);
    expect((await page(browser, 'scopes/patreon')).status).toBe(404);
  });

  it('reaches a scope whose name holds URL characters, and shows a role without org:write no form', async () => {
    await addScope((await as('admin')).browser, 'api:read/all?x', 'Odd name', '');
    const { browser } = await as('developer');
    const list = await page(browser, 'scopes');
    expect(list.html).toContain(`href="${consoleUrl}/scopes/${encodeURIComponent('api:read/all?x')}"`);
    expect(list.html).not.toContain(`action="${consoleUrl}/scopes"`);
    const view = await page(browser, `scopes/${encodeURIComponent('api:read/all?x')}`);
    expect(view.status).toBe(200);
    expect(view.html).toContain('<dt>Description</dt><dd>Odd name</dd>');
    expect(view.html).not.toContain('/remove"');
    expect((await page(browser, `scopes/${encodeURIComponent('api:read/all?x')}/remove`)).status).toBe(403);
    const forged = await post(browser, 'scopes', { csrf_token: consoleCsrf(browser, 'scope-create'), name: 'forged', description: 'Forged' });
    expect(forged.status).toBe(403);
    expect(Object.hasOwn((await findOrganizationById(db(), seeded.org.id))!.settings.customScopes, 'forged')).toBe(false);
  });

  it('answers unknown ids with the console\'s 404 page and bad bodies with 400, never a 500', async () => {
    const { browser } = await as('owner');
    for (const path of ['registrations/cl_doesnotexist', 'scopes/nosuchscope', 'scopes/__proto__', 'scopes/constructor', 'clients/cl_doesnotexist/suspend', `registrations/${'x'.repeat(300)}`]) {
      const missing = await page(browser, path);
      expect(missing.status, path).toBe(404);
      expect(missing.html).toContain('<h1>Not found</h1>');
      expect(missing.html).not.toContain('doesnotexist');
    }
    expect((await post(browser, 'registrations/cl_doesnotexist/reject', { csrf_token: 'x', reason: 'r' })).status).toBe(404);
    expect((await post(browser, 'scopes/nosuchscope/remove', { csrf_token: 'x' })).status).toBe(404);
    expect((await page(browser, 'registrations?cursor=%3Cbad%3E')).status).toBe(400);
    const json = await fetch(`${consoleUrl}/registrations/policy`, { method: 'POST', headers: { cookie: `gh_staff=${browser.cookie('gh_staff')!}; gh_browser=${browser.cookie('gh_browser')!}`, 'content-type': 'application/json' }, body: '{"mode":"approval"}', redirect: 'manual' });
    expect(json.status).toBe(400);
  });

  it('reads a bounded number of statements per page, whatever the number of requests and scopes', async () => {
    const { browser } = await as('owner');
    const { clientId } = await pending('Counted');
    const measure = async (path: string): Promise<number> => {
      await page(browser, path); // warm: the org is cached per process
      counter.count = 0;
      const { status } = await page(browser, path);
      expect(status, path).toBe(200);
      return counter.count;
    };
    await addScope(browser, 'counted', 'Counted', 'tier');
    const paths = ['registrations', `registrations/${clientId}`, `clients/${clientId}/delete`, 'scopes', 'scopes/counted', 'scopes/counted/remove'];
    // One page at a time: the counter is shared.
    const few: Record<string, number> = {};
    for (const p of paths) few[p] = await measure(p);
    for (let i = 0; i < 30; i++) await pending(`Bulk ${i}`, `bulk${i}@example.org`);
    for (let i = 0; i < 30; i++) await addScope(browser, `bulk${i}`, `Bulk ${i}`, `attr_${i}`);
    const many: Record<string, number> = {};
    for (const p of paths) many[p] = await measure(p);
    expect(many).toEqual(few);
    // The session, then the page's own: one page of pending clients, one client; scopes live in the org already read.
    expect(few).toEqual({ registrations: 2, [`registrations/${clientId}`]: 2, [`clients/${clientId}/delete`]: 2, scopes: 1, 'scopes/counted': 1, 'scopes/counted/remove': 1 });
  });

  it('keeps what was typed in the add form escaped', async () => {
    const { browser } = await as('owner');
    const fields = formFields((await page(browser, 'scopes')).html, `${consoleUrl}/scopes`);
    const refused = await post(browser, 'scopes', { ...fields, name: 'has space', description: '<script>alert(1)</script>', attributes: '' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(decode(refused.html)).toContain('<script>alert(1)</script>');
    expect(refused.html).not.toContain('<script>alert(1)</script>');
  });
});
