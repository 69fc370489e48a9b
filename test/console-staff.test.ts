import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { parseApiKey } from '../src/staff/api-keys.ts';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../src/staff/permissions.ts';
import { STAFF_ROLES } from '../src/staff/roles.ts';
import { startStaffSession } from '../src/staff/staff-sessions.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { consoleCsrf, countedStore, decode, formFields, QueryCounter, staffBrowser } from './console-helpers.ts';

const PASSWORD = 'a long staff passphrase';

describe.each(DIALECTS)('the console\'s staff and API access on %s', (dialect) => {
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

  async function page(browser: TestBrowser, path: string): Promise<{ status: number; html: string }> {
    const response = await browser.request(`${consoleUrl}/${path}`);
    return { status: response.status, html: await response.text() };
  }
  async function post(browser: TestBrowser, path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null }> {
    const response = await browser.request(`${consoleUrl}/${path}`, { form });
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  }
  /** The status of `GET /api/v2/org` with HTTP Basic `orgId:key`, as an integration calls it. */
  async function callApi(key: string): Promise<number> {
    const response = await fetch(`${server.url}/api/v2/org`, { headers: { authorization: `Basic ${Buffer.from(`${seeded.org.id}:${key}`).toString('base64')}` } });
    await response.body?.cancel();
    return response.status;
  }
  const shownKey = (html: string): string => /<code class="value" id="api-key">([^<]+)<\/code>/.exec(html)![1]!;
  const staffRow = (email: string) => db().selectFrom('staff_users').selectAll().where('org_id', '=', seeded.org.id).where('email', '=', email).executeTakeFirstOrThrow();
  /** The edit form of a staff user as its page renders it, with `change` applied. */
  async function editForm(browser: TestBrowser, userId: string, change: Record<string, string>): Promise<Record<string, string>> {
    const { html } = await page(browser, `staff/${userId}`);
    const role = /<input type="radio" name="role" value="([a-z_]+)" checked>/.exec(html)![1]!;
    return { ...formFields(html, `${consoleUrl}/staff/${userId}`), name: decode(/name="name" value="([^"]*)"/.exec(html)![1]!), role, ...change };
  }

  it('an owner makes an integration user with API access: the key shown once, working with the Organization ID, audited', async () => {
    const { browser, staffUserId } = await as('owner');
    const form = await page(browser, 'staff/new');
    expect(form.status).toBe(200);
    const created = await post(browser, 'staff', { ...formFields(form.html, `${consoleUrl}/staff`), email: 'sync@acme.example', name: 'CRM sync', role: 'developer', password: '', api_key: 'yes' });
    expect(created.status).toBe(200);
    const key = shownKey(created.html);
    expect(created.html).toContain('It is shown only on this page and cannot be displayed again');
    expect(created.html).toContain(`<code class="value" id="org-id">${seeded.org.id}</code>`);
    expect(created.html).toContain(`<code class="value" id="api-url">${server.url}/api/v2</code>`);
    const user = await staffRow('sync@acme.example');
    expect(user).toMatchObject({ role: 'developer', display_name: 'CRM sync', password_hash: null, status: 'active' });
    const stored = await db().selectFrom('api_keys').selectAll().where('staff_user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(stored.secret_hash).toBe(hashSecret(parseApiKey(key)!.secret));
    expect(await callApi(key)).toBe(200);
    const event = await db().selectFrom('audit_events').selectAll().where('action', '=', 'staff.created').where('target_id', '=', user.id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor_type: 'staff', actor_id: staffUserId });
    // Nowhere else: not in the logs, the audit log, the user's page or the list.
    expect(JSON.stringify(server.logs)).not.toContain(key);
    expect(JSON.stringify(await db().selectFrom('audit_events').selectAll().execute())).not.toContain(parseApiKey(key)!.secret);
    const view = await page(browser, `staff/${user.id}`);
    expect(view.html).not.toContain(key);
    expect(view.html).toContain(`<code class="key-name">gkey_${stored.prefix}_…</code>`);
    expect((await page(browser, 'staff')).html).toMatch(/sync@acme\.example<\/a><br><span class="muted">CRM sync<\/span><\/td><td>developer<\/td><td><span class="badge">active<\/span><\/td><td>never<\/td><td>1 key, last used \d{4}-\d\d-\d\d \d\d:\d\d UTC<\/td>/);
    // Without API access: Post/Redirect/Get to the user's page, with a fixed message.
    const plain = await post(browser, 'staff', { ...formFields(form.html, `${consoleUrl}/staff`), email: 'pat@acme.example', role: 'support', password: PASSWORD });
    expect(plain.status).toBe(303);
    const patId = (await staffRow('pat@acme.example')).id;
    expect(plain.location).toBe(`${consoleUrl}/staff/${patId}?flash=staff_created`);
    expect((await page(browser, `staff/${patId}?flash=staff_created`)).html).toContain('<p class="notice" role="status">The staff user was created.</p>');
  });

  it('lists staff with role, status, last sign-in and API access, and the permission table from ROLE_PERMISSIONS', async () => {
    const created = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'signed-in@acme.example', role: 'support' });
    await startStaffSession(db(), systemClock, seeded.org.id, created.userId);
    const { browser } = await as('admin');
    const { status, html } = await page(browser, 'staff');
    expect(status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(html).toMatch(new RegExp(`signed-in@acme\\.example</a></td><td>support</td><td><span class="badge">active</span></td><td>${today} \\d\\d:\\d\\d UTC</td><td>none</td>`));
    expect(html).toContain(`<a href="${consoleUrl}/#org-heading">Organization ID</a>`);
    // Rows are permissions, columns roles; each cell says what ROLE_PERMISSIONS says.
    const table = html.slice(html.indexOf('<table class="permission-table">'));
    expect(table).toContain(`<thead><tr><th scope="col">Permission</th>${STAFF_ROLES.map((r) => `<th scope="col">${r.replace('_', ' ')}</th>`).join('')}</tr></thead>`);
    for (const permission of PERMISSIONS) {
      const row = new RegExp(`<code class="muted">${permission}</code></th>(.*?)</tr>`).exec(table)![1]!;
      const cells = [...row.matchAll(/<span class="visually-hidden">(allowed|not allowed)<\/span>/g)].map((m) => m[1] === 'allowed');
      expect(cells, permission).toEqual(STAFF_ROLES.map((role) => ROLE_PERMISSIONS[role].includes(permission)));
    }
  });

  it('answers bad input with the form again: errors beside their fields, a summary, values kept but never the password', async () => {
    const { browser } = await as('owner');
    const form = await page(browser, 'staff/new');
    const before = (await db().selectFrom('staff_users').select('id').execute()).length;
    const refused = await post(browser, 'staff', { ...formFields(form.html, `${consoleUrl}/staff`), email: 'not an <email>', name: 'Kim', role: 'emperor', password: 'shortpw' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('<div role="alert" class="alert"><p>Nothing was saved. Correct these:</p>');
    for (const [fieldName, label] of [['email', 'Email'], ['role', 'Role'], ['password', 'Console password']]) {
      expect(refused.html).toContain(`<a href="#${fieldName}">${label}</a>`);
      expect(refused.html).toContain(`id="${fieldName}-error"`);
    }
    expect(refused.html).toContain('value="not an &lt;email&gt;"');
    expect(refused.html).toContain('name="name" value="Kim"');
    expect(refused.html).not.toContain('shortpw');
    expect(refused.html).toContain('<input type="password" id="password" name="password" value=""');
    // A taken email: the form again with the conflict named.
    const taken = await post(browser, 'staff', { ...formFields(form.html, `${consoleUrl}/staff`), email: 'owner-dup@acme.example', role: 'admin' });
    expect(taken.status).toBe(303);
    const again = await post(browser, 'staff', { ...formFields(form.html, `${consoleUrl}/staff`), email: 'OWNER-dup@acme.example', role: 'admin' });
    expect(again.status).toBe(409);
    expect(again.html).toContain('already exists in this organization');
    expect((await db().selectFrom('staff_users').select('id').execute()).length).toBe(before + 1);
  });

  it('changes a role by Post/Redirect/Get, and refuses a stale form with the current values', async () => {
    const target = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'role-change@acme.example', role: 'support' });
    const { browser: alice } = await as('owner');
    const { browser: bob } = await as('owner');
    const aliceForm = await editForm(alice, target.userId, { role: 'developer' });
    const bobForm = await editForm(bob, target.userId, { role: 'read_only', name: 'Bob was here' });
    const saved = await post(alice, `staff/${target.userId}`, aliceForm);
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${consoleUrl}/staff/${target.userId}?flash=staff_updated`);
    expect((await staffRow('role-change@acme.example')).role).toBe('developer');
    const stale = await post(bob, `staff/${target.userId}`, bobForm);
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE_MESSAGE.replace(/'/g, '&#39;'));
    expect(stale.html).toContain('<input type="radio" name="role" value="developer" checked>');
    expect(stale.html).not.toContain('Bob was here');
    const { version: _dropped, ...unversioned } = bobForm;
    expect((await post(bob, `staff/${target.userId}`, unversioned)).status).toBe(409);
    expect(await staffRow('role-change@acme.example')).toMatchObject({ role: 'developer', display_name: null });
    const event = await db().selectFrom('audit_events').selectAll().where('action', '=', 'staff.updated').where('target_id', '=', target.userId).executeTakeFirstOrThrow();
    expect(JSON.parse(event.details!)).toMatchObject({ role_from: 'support', role_to: 'developer' });
  });

  it('an owner cannot lock the organization out: demoting the last owner and disabling yourself come back as form errors', async () => {
    // An org of its own, with one owner.
    const lone = await seedOrg(db(), 'lone');
    const { browser, staffUserId } = await staffBrowser(db(), lone.org.id, 'lone', 'owner');
    const loneUrl = `${server.url}/o/lone/console`;
    const view = await (await browser.request(`${loneUrl}/staff/${staffUserId}`)).text();
    expect(view).toContain('You cannot disable yourself: another owner can.');
    expect(view).not.toContain(`action="${loneUrl}/staff/${staffUserId}/disable"`);
    const form = { ...formFields(view, `${loneUrl}/staff/${staffUserId}`), name: '', role: 'admin' };
    const demoted = await browser.request(`${loneUrl}/staff/${staffUserId}`, { form });
    expect(demoted.status).toBe(409);
    const demotedHtml = await demoted.text();
    expect(demotedHtml).toContain('<div role="alert" class="alert"><p>Nothing was saved. Correct this:</p>');
    expect(demotedHtml).toContain('the last active owner cannot be demoted; make another staff user owner first');
    // The role as typed is kept, so the person sees what was refused.
    expect(demotedHtml).toContain('<input type="radio" name="role" value="admin" checked>');
    // A forged disable of oneself (the page shows no such button): refused beside the button.
    const disabled = await browser.request(`${loneUrl}/staff/${staffUserId}/disable`, { form: { csrf_token: consoleCsrf(browser, `staff-status:${staffUserId}`) } });
    expect(disabled.status).toBe(400);
    const disabledHtml = await disabled.text();
    expect(disabledHtml).toContain('<a href="#user_id">Disable this staff user</a>: you cannot disable yourself');
    expect(disabledHtml).toContain('<p class="field-error" id="user_id-error">you cannot disable yourself</p>');
    const row = await db().selectFrom('staff_users').selectAll().where('id', '=', staffUserId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'owner', status: 'active' });
  });

  it('sends an owner who gave up seeing staff to the overview, not to a 403 page', async () => {
    const { browser, staffUserId } = await as('owner');
    const form = await editForm(browser, staffUserId, { role: 'developer' });
    const saved = await post(browser, `staff/${staffUserId}`, form);
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${consoleUrl}/?flash=staff_updated`);
    const overview = await page(browser, '?flash=staff_updated');
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('The staff user was saved.');
    expect(overview.html).not.toContain(`<a href="${consoleUrl}/staff"`);
  });

  it('disables and enables a user: its keys and sessions end, and stay revoked after enabling', async () => {
    const { browser } = await as('owner');
    const form = await page(browser, 'staff/new');
    const created = await post(browser, 'staff', { ...formFields(form.html, `${consoleUrl}/staff`), email: 'leaver@acme.example', role: 'admin', api_key: 'yes' });
    const key = shownKey(created.html);
    const userId = (await staffRow('leaver@acme.example')).id;
    expect(await callApi(key)).toBe(200);
    const view = await page(browser, `staff/${userId}`);
    const disabled = await post(browser, `staff/${userId}/disable`, formFields(view.html, `${consoleUrl}/staff/${userId}/disable`));
    expect(disabled.location).toBe(`${consoleUrl}/staff/${userId}?flash=staff_disabled`);
    expect(await callApi(key)).toBe(401);
    const after = await page(browser, `staff/${userId}?flash=staff_disabled`);
    expect(after.html).toContain('it was signed out and its API keys were revoked');
    expect(after.html).toContain('<span class="badge">disabled</span>');
    expect(after.html).toContain('Enable the user to give it an API key.');
    const enabled = await post(browser, `staff/${userId}/enable`, formFields(after.html, `${consoleUrl}/staff/${userId}/enable`));
    expect(enabled.location).toBe(`${consoleUrl}/staff/${userId}?flash=staff_enabled`);
    expect((await staffRow('leaver@acme.example')).status).toBe('active');
    expect(await callApi(key)).toBe(401);
  });

  it('enables API access, rotates and revokes keys with last-used times; each new key shown once', async () => {
    const target = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'keys@acme.example', role: 'read_only' });
    const { browser } = await as('owner');
    const view = await page(browser, `staff/${target.userId}`);
    expect(view.html).toContain('No API keys.');
    expect(view.html).toContain('<button type="submit">Enable API access</button>');
    const enabled = await post(browser, `staff/${target.userId}/api-keys`, { ...formFields(view.html, `${consoleUrl}/staff/${target.userId}/api-keys`), label: 'Reporting' });
    expect(enabled.status).toBe(200);
    const first = shownKey(enabled.html);
    expect(await callApi(first)).toBe(200);
    const keyRow = await db().selectFrom('api_keys').selectAll().where('staff_user_id', '=', target.userId).executeTakeFirstOrThrow();
    const withKey = await page(browser, `staff/${target.userId}`);
    expect(withKey.html).toMatch(new RegExp(`<code class="key-name">gkey_${keyRow.prefix}_…</code></td><td>Reporting</td><td>[^<]+</td><td>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC</td><td><span class="badge">active</span></td>`));
    expect(withKey.html).not.toContain(first);
    expect(withKey.html).toContain('<button type="submit">Add another API key</button>');
    // Rotate: a new key, shown once; the old one stops at once.
    const rotated = await post(browser, `api-keys/${keyRow.id}/rotate`, formFields(withKey.html, `${consoleUrl}/api-keys/${keyRow.id}/rotate`));
    expect(rotated.status).toBe(200);
    expect(rotated.html).toContain('the key it replaces has stopped working');
    const second = shownKey(rotated.html);
    expect(second).not.toBe(first);
    expect(await callApi(first)).toBe(401);
    expect(await callApi(second)).toBe(200);
    const secondRow = await db().selectFrom('api_keys').selectAll().where('staff_user_id', '=', target.userId).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    expect(secondRow.label).toBe('Reporting');
    // Revoke: Post/Redirect/Get to the user, the key refused from then on.
    const afterRotate = await page(browser, `staff/${target.userId}`);
    const revoked = await post(browser, `api-keys/${secondRow.id}/revoke`, formFields(afterRotate.html, `${consoleUrl}/api-keys/${secondRow.id}/revoke`));
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe(`${consoleUrl}/staff/${target.userId}?flash=api_key_revoked`);
    expect(await callApi(second)).toBe(401);
    const final = await page(browser, `staff/${target.userId}?flash=api_key_revoked`);
    expect(final.html).toContain('The API key was revoked: it no longer works.');
    expect(final.html.match(/<span class="badge">revoked<\/span>/g)).toHaveLength(2);
    expect(final.html).not.toContain(`action="${consoleUrl}/api-keys/${secondRow.id}/revoke"`);
    const actions = (await db().selectFrom('audit_events').select('action').where('actor_type', '=', 'staff').where('action', 'like', 'api_key.%').execute()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.created', 'api_key.rotated', 'api_key.revoked']));
    // A bad label: the form again with its error, the label kept.
    const bad = await post(browser, `staff/${target.userId}/api-keys`, { ...formFields(final.html, `${consoleUrl}/staff/${target.userId}/api-keys`), label: 'x'.repeat(101) });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<p class="field-error" id="label-error">must be 1 to 100 characters</p>');
  });

  it('sets a console password: refused ones beside the field and never put back; then the user signs in with it', async () => {
    const target = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'newcomer@acme.example', role: 'support' });
    const { browser } = await as('owner');
    const view = await page(browser, `staff/${target.userId}`);
    expect(view.html).toContain('none: no password');
    const fields = formFields(view.html, `${consoleUrl}/staff/${target.userId}/password`);
    const short = await post(browser, `staff/${target.userId}/password`, { ...fields, password: 'tiny1' });
    expect(short.status).toBe(400);
    expect(short.html).toContain('<a href="#password">Console password</a>: must be at least 8 characters');
    expect(short.html).toContain('<p class="field-error" id="password-error">must be at least 8 characters</p>');
    expect(short.html).not.toContain('tiny1');
    expect((await staffRow('newcomer@acme.example')).password_hash).toBeNull();
    const set = await post(browser, `staff/${target.userId}/password`, { ...fields, password: PASSWORD });
    expect(set.status).toBe(303);
    expect(set.location).toBe(`${consoleUrl}/staff/${target.userId}?flash=staff_password_set`);
    expect((await page(browser, `staff/${target.userId}?flash=staff_password_set`)).html).toContain('The console password was set.');
    const event = await db().selectFrom('audit_events').selectAll().where('action', '=', 'staff.password_set').where('target_id', '=', target.userId).executeTakeFirstOrThrow();
    expect(event.details ?? '').not.toContain(PASSWORD);
    expect(JSON.stringify(server.logs)).not.toContain(PASSWORD);
    // The newcomer signs in with it.
    const newcomer = new TestBrowser();
    const signIn = await (await newcomer.request(`${consoleUrl}/login`)).text();
    const done = await newcomer.request(`${consoleUrl}/login`, { form: { ...formFields(signIn, `${consoleUrl}/login`), email: 'newcomer@acme.example', password: PASSWORD } });
    expect(done.headers.get('location')).toBe(`${consoleUrl}/`);
  });

  it('shows an admin the staff without any write control, and refuses its writes with the 403 page; a developer sees no staff at all', async () => {
    const target = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'look@acme.example', role: 'support', withApiKey: true });
    const keyId = (await db().selectFrom('api_keys').select('id').where('staff_user_id', '=', target.userId).executeTakeFirstOrThrow()).id;
    const { browser } = await as('admin');
    const list = await page(browser, 'staff');
    expect(list.status).toBe(200);
    expect(list.html).not.toContain('New staff user');
    const view = await page(browser, `staff/${target.userId}`);
    expect(view.status).toBe(200);
    expect(view.html).toContain('look@acme.example');
    expect(view.html).not.toMatch(/<form method="post" action="[^"]*\/(staff|api-keys)\//);
    expect((await page(browser, 'staff/new')).status).toBe(403);
    for (const [path, purpose] of [[`staff/${target.userId}/disable`, `staff-status:${target.userId}`], [`staff/${target.userId}/password`, `staff-password:${target.userId}`], [`staff/${target.userId}/api-keys`, `api-key-create:${target.userId}`], [`api-keys/${keyId}/revoke`, `api-key-revoke:${keyId}`], [`api-keys/${keyId}/rotate`, `api-key-rotate:${keyId}`]]) {
      const refused = await post(browser, path!, { csrf_token: consoleCsrf(browser, purpose!) });
      expect(refused.status, path).toBe(403);
      expect(refused.html).toContain('<code>staff:write</code>');
    }
    expect((await db().selectFrom('api_keys').select('revoked_at').where('id', '=', keyId).executeTakeFirstOrThrow()).revoked_at).toBeNull();
    const dev = await as('developer');
    const devHome = await page(dev.browser, '');
    expect(devHome.html).not.toContain(`<a href="${consoleUrl}/staff"`);
    expect((await page(dev.browser, 'staff')).status).toBe(403);
    expect((await page(dev.browser, `staff/${target.userId}`)).status).toBe(403);
  });

  it('refuses a form without the CSRF token of its purpose, changing nothing', async () => {
    const target = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'csrf@acme.example', role: 'support', withApiKey: true });
    const keyId = (await db().selectFrom('api_keys').select('id').where('staff_user_id', '=', target.userId).executeTakeFirstOrThrow()).id;
    const { browser } = await as('owner');
    await page(browser, '');
    for (const [path, token] of [
      ['staff', consoleCsrf(browser, 'client-create')],
      [`staff/${target.userId}/disable`, consoleCsrf(browser, `staff-status:other`)],
      [`api-keys/${keyId}/revoke`, consoleCsrf(browser, `api-key-rotate:${keyId}`)],
      [`api-keys/${keyId}/rotate`, ''],
    ]) {
      const refused = await post(browser, path!, { csrf_token: token!, email: 'forged@acme.example' });
      expect(refused.status, path).toBe(403);
      expect(refused.html).toContain('This form has expired');
    }
    expect((await db().selectFrom('api_keys').select('revoked_at').where('id', '=', keyId).executeTakeFirstOrThrow()).revoked_at).toBeNull();
    expect((await db().selectFrom('staff_users').select('status').where('id', '=', target.userId).executeTakeFirstOrThrow()).status).toBe('active');
    expect(await db().selectFrom('staff_users').select('id').where('email', '=', 'forged@acme.example').executeTakeFirst()).toBeUndefined();
  });

  it('answers unknown users and keys with the 404 page, and a bad cursor with a 400 page, never a 500', async () => {
    const { browser } = await as('owner');
    const missing = await page(browser, 'staff/stf_doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('There is no such staff user in this organization');
    expect(missing.html).not.toContain('doesnotexist');
    // An id longer than any route parameter: the console's 404 page all the same.
    const long = await page(browser, `staff/${'x'.repeat(300)}`);
    expect(long.status).toBe(404);
    expect(long.html).toContain('<h1>Not found</h1>');
    expect((await post(browser, 'staff/stf_doesnotexist/api-keys', { csrf_token: 'x' })).status).toBe(404);
    for (const action of ['rotate', 'revoke']) {
      const missing = await post(browser, `api-keys/key_doesnotexist/${action}`, { csrf_token: consoleCsrf(browser, `api-key-${action}:key_doesnotexist`) });
      expect(missing.status, action).toBe(404);
      expect(missing.html).toContain('There is no such API key');
    }
    const cursor = await page(browser, 'staff?cursor=%3Cnot-a-cursor%3E');
    expect(cursor.status).toBe(400);
    expect(cursor.html).not.toContain('<not-a-cursor>');
    // Bad values in the address or a form: a page, never a 500, nothing made.
    for (const path of ['staff?cursor=%00', 'staff?cursor=a&cursor=b', 'staff?flash=%ZZ', 'staff/%00', 'staff/%00/api-keys']) {
      expect([200, 400, 404], path).toContain((await page(browser, path)).status);
    }
    const form = await page(browser, 'staff/new');
    const fields = formFields(form.html, `${consoleUrl}/staff`);
    for (const body of [`email=a%00b%40acme.example&role=admin`, `email=rep%40acme.example&role=admin&role=owner`, `email=pw%40acme.example&role=admin&password=with%00nul-inside`]) {
      const response = await fetch(`${consoleUrl}/staff`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gh_staff=${browser.cookie('gh_staff')}; gh_browser=${browser.cookie('gh_browser')}` }, body: `csrf_token=${encodeURIComponent(fields.csrf_token!)}&${body}`, redirect: 'manual' });
      expect(response.status, body).toBe(400);
    }
    expect(await db().selectFrom('staff_users').select('id').where('email', 'in', ['rep@acme.example', 'pw@acme.example']).executeTakeFirst()).toBeUndefined();
    // An id with a NUL (which PostgreSQL cannot even be asked for) is no user and no key: the 404 page.
    for (const action of ['rotate', 'revoke']) {
      const nulKey = await post(browser, `api-keys/%00/${action}`, { csrf_token: consoleCsrf(browser, `api-key-${action}:\u0000`) });
      expect(nulKey.status, action).toBe(404);
    }
  });

  it('reads a bounded number of statements per page, whatever the number of users, keys and sign-ins', async () => {
    const counted = await seedOrg(db(), 'counted');
    const { browser } = await staffBrowser(db(), counted.org.id, 'counted', 'owner');
    const target = await createStaffUser(db(), systemClock, counted.org.id, { email: 'target@counted.example', role: 'support', withApiKey: true });
    const countedUrl = `${server.url}/o/counted/console`;
    const measure = async (path: string): Promise<number> => {
      await browser.request(`${countedUrl}/${path}`); // warm: the org is cached per process
      counter.count = 0;
      const response = await browser.request(`${countedUrl}/${path}`);
      expect(response.status, path).toBe(200);
      await response.text();
      return counter.count;
    };
    const paths = { list: 'staff', user: `staff/${target.userId}`, new: 'staff/new' };
    const few = { list: await measure(paths.list), user: await measure(paths.user), new: await measure(paths.new) };
    for (let i = 0; i < 30; i++) {
      const more = await createStaffUser(db(), systemClock, counted.org.id, { email: `bulk${i}@counted.example`, role: 'support', withApiKey: true });
      await startStaffSession(db(), systemClock, counted.org.id, more.userId);
      await db().insertInto('api_keys').values({ id: `key_bulk${i}`, org_id: counted.org.id, staff_user_id: target.userId, prefix: `bulk${String(i).padStart(8, 'a')}`, secret_hash: 'x', label: null, created_at: Date.now(), last_used_at: null, revoked_at: null }).execute();
    }
    const many = { list: await measure(paths.list), user: await measure(paths.user), new: await measure(paths.new) };
    expect(many).toEqual(few);
    // The session, then the page's own: a page of users and their sign-ins and keys (two grouped
    // statements); the user, its keys (listApiKeys reads the user again), its sign-in and key use;
    // the new-user form reads nothing.
    expect(few).toEqual({ list: 4, user: 6, new: 1 });
  });
});
