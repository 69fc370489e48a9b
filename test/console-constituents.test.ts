import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { SSO_COOKIE } from '../src/http/cookies.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { TestBrowser, signInThroughPages } from './helpers/browser.ts';
import { CHALLENGE, PASSWORD, REDIRECT_URI, seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { consoleCsrf, countedStore, decode, formFields, QueryCounter, staffBrowser } from './console-helpers.ts';

const NEW_PASSWORD = 'a brand new passphrase';

describe.each(DIALECTS)('the console\'s constituent pages on %s', (dialect) => {
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
    issuer = `${server.url}/o/acme`;
    consoleUrl = `${issuer}/console`;
  });
  afterAll(async () => {
    await server?.close();
    await store?.dispose();
  });

  const db = () => server.store.storage.db;
  const as = (role: Parameters<typeof staffBrowser>[3]) => staffBrowser(db(), seeded.org.id, 'acme', role);
  const constituent = async (username: string, extra: { password?: string; email?: string; name?: string } = {}) => (await createConstituent(db(), systemClock, seeded.org.id, { username, ...extra })).accountId;

  async function page(browser: TestBrowser, path: string): Promise<{ status: number; html: string }> {
    const response = await browser.request(`${consoleUrl}/${path}`);
    return { status: response.status, html: await response.text() };
  }
  async function post(browser: TestBrowser, path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null }> {
    const response = await browser.request(`${consoleUrl}/${path}`, { form });
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  }
  /** Posts the form of `action` (relative to the console) as the page renders it, with `fields` added. */
  async function submit(browser: TestBrowser, pagePath: string, action: string, fields: Record<string, string> = {}) {
    const { html } = await page(browser, pagePath);
    return post(browser, action, { ...formFields(html, `${consoleUrl}/${action}`), ...fields });
  }
  /** Signs `username` in at the hosted pages through a client asking for consent: a consent grant and an SSO session. */
  async function signIn(username: string, password: string, clientId: string, browser = new TestBrowser()): Promise<{ browser: TestBrowser; url: string }> {
    const params = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const url = await signInThroughPages(browser, `${issuer}/authorize?${params}`, server.url, { username, password });
    return { browser, url };
  }
  const signsIn = async (username: string, password: string, clientId: string): Promise<boolean> => (await signIn(username, password, clientId).catch(() => ({ url: '' }))).url.startsWith(`${REDIRECT_URI}?code=`);
  const audit = (action: string, targetId: string) => db().selectFrom('audit_events').selectAll().where('action', '=', action).where('target_id', '=', targetId).execute();
  const row = (accountId: string) => db().selectFrom('constituents').selectAll().where('org_id', '=', seeded.org.id).where('account_id', '=', accountId).executeTakeFirstOrThrow();

  it('searches by a prefix of the username or email and by status, with the search in the URL, by pages', async () => {
    await constituent('searchbob', { email: 'robert@search.example' });
    await constituent('searchbobby');
    const carol = await constituent('searchcarol', { email: 'bob.c@search.example' });
    await constituent('zed-unrelated');
    const { browser } = await as('support');
    const found = await page(browser, 'constituents?q=searchbob');
    expect(found.status).toBe(200);
    expect(found.html).toContain('<form method="get" action="' + `${consoleUrl}/constituents"`);
    expect(found.html).toContain('name="q" value="searchbob"');
    expect(found.html.match(/>searchbob(by)?<\/a>/g)).toEqual(['>searchbob</a>', '>searchbobby</a>']);
    // The email's prefix too, as the API's q.
    const byEmail = await page(browser, 'constituents?q=bob.c%40search');
    expect(byEmail.html).toContain(`href="${consoleUrl}/constituents/${carol}"`);
    expect(byEmail.html).not.toContain('>searchbob</a>');
    await db().updateTable('constituents').set({ status: 'disabled' }).where('org_id', '=', seeded.org.id).where('account_id', '=', carol).execute();
    const disabled = await page(browser, 'constituents?q=search&status=disabled');
    expect(disabled.html).toContain('>searchcarol</a>');
    expect(disabled.html).not.toContain('>searchbob</a>');
    expect(disabled.html).toContain('<option value="disabled" selected>');

    // 51 matches: a page of 50, and a link to the next that keeps the search.
    for (let i = 0; i < 51; i++) await constituent(`pager${String(i).padStart(2, '0')}`);
    const first = await page(browser, 'constituents?q=pager');
    expect(first.html.match(/>pager\d\d<\/a>/g)).toHaveLength(50);
    const next = decode(/<a href="([^"]+)">Next page<\/a>/.exec(first.html)![1]!);
    expect(next).toMatch(/\?q=pager&cursor=/);
    const second = await browser.request(next);
    expect((await second.text()).match(/>pager\d\d<\/a>/g)).toEqual(['>pager50</a>']);

    // What was typed comes back escaped, never as markup; a bad cursor is a 400 page.
    const typed = await page(browser, `constituents?q=${encodeURIComponent('<b>x</b>')}`);
    expect(typed.status).toBe(200);
    expect(typed.html).toContain('value="&lt;b&gt;x&lt;/b&gt;"');
    expect(typed.html).not.toContain('<b>x</b>');
    const cursor = await page(browser, 'constituents?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.html).toContain('<h1>Invalid request</h1>');
  });

  it('creates a constituent who then signs in with the password given, which no page shows again', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Portal' });
    const { browser, staffUserId } = await as('support');
    const created = await submit(browser, 'constituents/new', 'constituents', { username: 'newcomer', email: 'newcomer@example.org', name: 'New Comer', password: NEW_PASSWORD });
    expect(created.status).toBe(303);
    const accountId = /constituents\/([^?]+)\?flash=constituent_created$/.exec(created.location!)![1]!;
    const view = await page(browser, `constituents/${accountId}?flash=constituent_created`);
    expect(view.html).toContain('<p class="notice" role="status">The constituent was created.</p>');
    expect(view.html).toContain('newcomer@example.org');
    expect(view.html).not.toContain(NEW_PASSWORD);
    const [event] = await audit('constituent.created', accountId);
    expect(event).toMatchObject({ actor_type: 'staff', actor_id: staffUserId });
    expect(JSON.parse(event!.details)).toEqual({ has_password: true });
    expect(await signsIn('newcomer', NEW_PASSWORD, clientId)).toBe(true);
  });

  it('answers a bad new constituent with the form again: errors beside the fields, a summary, values kept, never the password', async () => {
    const { browser } = await as('owner');
    await constituent('taken-name');
    const refused = await submit(browser, 'constituents/new', 'constituents', { username: '', email: 'not an email', name: 'Kept <Name>', password: 'tiny-pw' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('<p class="field-error" id="username-error">');
    expect(refused.html).toContain('<p class="field-error" id="email-error">');
    expect(refused.html).toContain('<p class="field-error" id="password-error">must be at least 8 characters</p>');
    expect(refused.html).toContain('<li><a href="#password">Password</a>: must be at least 8 characters</li>');
    expect(refused.html).toContain('name="email" value="not an email"');
    expect(refused.html).toContain('name="name" value="Kept &lt;Name&gt;"');
    expect(refused.html).not.toContain('tiny-pw');
    expect(refused.html).toMatch(/<input type="password" id="password" name="password" autocomplete="new-password"[^>]*>/);
    const taken = await submit(browser, 'constituents/new', 'constituents', { username: 'Taken-Name' });
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('already taken');
    expect(await db().selectFrom('constituents').select('account_id').where('org_id', '=', seeded.org.id).where('login_name', '=', 'Taken-Name').execute()).toEqual([]);
  });

  it('shows a constituent: attributes, the applications with the scopes allowed, and the live sessions', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Volunteer <Portal>' });
    const accountId = (await createConstituent(db(), systemClock, seeded.org.id, { username: 'viewed', password: PASSWORD, attributes: { tier: 'gold', age: 42 } })).accountId;
    const { browser: constituentBrowser } = await signIn('viewed', PASSWORD, clientId);
    const reference = hashSecret(constituentBrowser.cookie(SSO_COOKIE)!).slice(0, 16);
    const { browser } = await as('read_only');
    const view = await page(browser, `constituents/${accountId}`);
    expect(view.status).toBe(200);
    expect(view.html).toContain(`<code class="value" id="account-id">${accountId}</code>`);
    expect(view.html).toContain('<tr><td><code>tier</code></td><td><code>&quot;gold&quot;</code></td></tr>');
    expect(view.html).toContain('<tr><td><code>age</code></td><td><code>42</code></td></tr>');
    expect(view.html).toContain(`Volunteer &lt;Portal&gt;<br><code>${clientId}</code></td><td><code>openid profile</code></td>`);
    expect(view.html).toContain(`<td><code>${reference}</code></td>`);
    // A read-only role sees no control at all.
    expect(view.html).not.toMatch(/<form method="post" action="[^"]*\/constituents\//);
    expect(view.html).not.toContain('type="password"');
  });

  it('saves a profile edit by Post/Redirect/Get, audited with the fields changed only', async () => {
    const accountId = await constituent('editme', { email: 'edit@example.org', name: 'Edit Me' });
    const { browser } = await as('support');
    const saved = await submit(browser, `constituents/${accountId}`, `constituents/${accountId}`, { username: 'editme', email: 'edit@example.org', name: 'Edited Name' });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${consoleUrl}/constituents/${accountId}?flash=constituent_updated`);
    expect((await row(accountId)).display_name).toBe('Edited Name');
    const [event] = await audit('constituent.updated', accountId);
    expect(JSON.parse(event!.details)).toEqual({ fields: 'name' });
    // An emptied email is cleared; a bad one is refused beside its field, the value kept.
    const bad = await submit(browser, `constituents/${accountId}`, `constituents/${accountId}`, { username: 'editme', email: 'nope', name: 'Edited Name' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<p class="field-error" id="email-error">');
    expect(bad.html).toContain('name="email" value="nope"');
    const cleared = await submit(browser, `constituents/${accountId}`, `constituents/${accountId}`, { username: 'editme', email: '', name: 'Edited Name' });
    expect(cleared.status).toBe(303);
    expect((await row(accountId)).email).toBeNull();
  });

  it('refuses a save over another admin\'s change: "changed since you opened it", with the current values', async () => {
    const accountId = await constituent('contested', { name: 'First' });
    const { browser: one } = await as('support');
    const { browser: two } = await as('admin');
    const formOfOne = formFields((await page(one, `constituents/${accountId}`)).html, `${consoleUrl}/constituents/${accountId}`);
    const formOfTwo = formFields((await page(two, `constituents/${accountId}`)).html, `${consoleUrl}/constituents/${accountId}`);
    expect((await post(two, `constituents/${accountId}`, { ...formOfTwo, username: 'contested', name: 'By two' })).status).toBe(303);
    const stale = await post(one, `constituents/${accountId}`, { ...formOfOne, username: 'contested', name: 'By one' });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE_MESSAGE);
    expect(stale.html).toContain('name="name" value="By two"');
    expect((await row(accountId)).display_name).toBe('By two');
    // A form without its version is stale too, never a blind overwrite.
    const { version: _version, ...unversioned } = formOfOne;
    const blind = await post(one, `constituents/${accountId}`, { ...unversioned, username: 'contested', name: 'Blind' });
    expect(blind.status).toBe(409);
    expect((await row(accountId)).display_name).toBe('By two');
  });

  it('disables a constituent (signed out, cannot sign in) and enables it again', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Portal' });
    const accountId = await constituent('toggled', { password: PASSWORD });
    await signIn('toggled', PASSWORD, clientId);
    const { browser } = await as('support');
    const disabled = await submit(browser, `constituents/${accountId}`, `constituents/${accountId}/disable`);
    expect(disabled.location).toBe(`${consoleUrl}/constituents/${accountId}?flash=constituent_disabled`);
    expect((await row(accountId)).status).toBe('disabled');
    expect(JSON.parse((await audit('constituent.disabled', accountId))[0]!.details)).toMatchObject({ sessions_ended: 1 });
    expect(await signsIn('toggled', PASSWORD, clientId)).toBe(false);
    const view = await page(browser, `constituents/${accountId}`);
    expect(view.html).toContain('<span class="badge">disabled</span>');
    expect(view.html).not.toContain(`action="${consoleUrl}/constituents/${accountId}/disable"`);
    const enabled = await post(browser, `constituents/${accountId}/enable`, formFields(view.html, `${consoleUrl}/constituents/${accountId}/enable`));
    expect(enabled.location).toBe(`${consoleUrl}/constituents/${accountId}?flash=constituent_enabled`);
    expect((await row(accountId)).status).toBe('active');
    expect(await signsIn('toggled', PASSWORD, clientId)).toBe(true);
  });

  it('sets a password: a refused one beside its field and never shown; the new one signs in, the old sessions end', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Portal' });
    const accountId = await constituent('forgetful', { password: PASSWORD });
    await signIn('forgetful', PASSWORD, clientId);
    const { browser } = await as('support');
    const short = await submit(browser, `constituents/${accountId}`, `constituents/${accountId}/password`, { password: 'tiny-pw' });
    expect(short.status).toBe(400);
    expect(short.html).toContain('<p class="field-error" id="password-error">must be at least 8 characters</p>');
    expect(short.html).not.toContain('tiny-pw');
    expect(await audit('constituent.password_set', accountId)).toEqual([]);
    const set = await submit(browser, `constituents/${accountId}`, `constituents/${accountId}/password`, { password: NEW_PASSWORD });
    expect(set.location).toBe(`${consoleUrl}/constituents/${accountId}?flash=constituent_password_set`);
    const [event] = await audit('constituent.password_set', accountId);
    expect(JSON.parse(event!.details)).toEqual({ sessions_ended: 1 });
    expect(event!.details).not.toContain(NEW_PASSWORD);
    expect(await signsIn('forgetful', PASSWORD, clientId)).toBe(false);
    expect(await signsIn('forgetful', NEW_PASSWORD, clientId)).toBe(true);
  });

  it('revokes an application\'s access, ends one session or all of them, each by Post/Redirect/Get', async () => {
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Revoked App' });
    const accountId = await constituent('holder', { password: PASSWORD });
    const sessions = [await signIn('holder', PASSWORD, clientId), await signIn('holder', PASSWORD, clientId), await signIn('holder', PASSWORD, clientId)];
    const references = sessions.map((s) => hashSecret(s.browser.cookie(SSO_COOKIE)!).slice(0, 16));
    const { browser } = await as('support');
    const base = `constituents/${accountId}`;

    const ended = await submit(browser, base, `${base}/sessions/${references[0]}/end`);
    expect(ended.location).toBe(`${consoleUrl}/${base}?flash=constituent_session_ended`);
    const live = async () => (await db().selectFrom('sso_sessions').select('id_hash').where('org_id', '=', seeded.org.id).where('account_id', '=', accountId).where('ended_at', 'is', null).execute()).map((r) => r.id_hash.slice(0, 16)).sort();
    expect(await live()).toEqual([references[1], references[2]].sort());
    expect(JSON.parse((await audit('constituent.session_ended', accountId))[0]!.details)).toEqual({ session_id: references[0] });
    // The ended session is gone from the page; ending it again is the console's 404 page.
    const view = await page(browser, base);
    expect(view.html).not.toContain(`<code>${references[0]}</code>`);
    const again = await post(browser, `${base}/sessions/${references[0]}/end`, { csrf_token: consoleCsrf(browser, `constituent-session-end:${accountId}`) });
    expect(again.status).toBe(404);
    expect(again.html).toContain('There is no such session in this organization');

    const all = await submit(browser, base, `${base}/sessions/end-all`);
    expect(all.location).toBe(`${consoleUrl}/${base}?flash=constituent_sessions_ended`);
    expect(await live()).toEqual([]);

    const revoked = await submit(browser, base, `${base}/grants/${clientId}/revoke`);
    expect(revoked.location).toBe(`${consoleUrl}/${base}?flash=constituent_grant_revoked`);
    expect(await db().selectFrom('consent_grants').select('client_id').where('org_id', '=', seeded.org.id).where('account_id', '=', accountId).execute()).toEqual([]);
    expect(JSON.parse((await audit('grant.revoked', accountId))[0]!.details)).toMatchObject({ client_id: clientId });
    const after = await page(browser, `${base}?flash=constituent_grant_revoked`);
    expect(after.html).toContain("The application&#39;s access was revoked.");
    expect(after.html).toContain('No application holds a consent');
    expect((await post(browser, `${base}/grants/${clientId}/revoke`, { csrf_token: consoleCsrf(browser, `constituent-grant-revoke:${accountId}`) })).status).toBe(404);
  });

  it('refuses a form without the token of its purpose, changing nothing; a read-only role\'s forged write is the 403 page', async () => {
    const accountId = await constituent('guarded', { name: 'Guarded' });
    const { browser } = await as('support');
    await page(browser, `constituents/${accountId}`);
    // The status form's token does not open the profile form, nor another constituent's.
    const other = await constituent('guarded-other');
    const wrongPurpose = await post(browser, `constituents/${accountId}/disable`, { csrf_token: consoleCsrf(browser, `constituent-update:${accountId}`) });
    expect(wrongPurpose.status).toBe(403);
    expect(wrongPurpose.html).toContain('This form has expired');
    const wrongRecord = await post(browser, `constituents/${accountId}/disable`, { csrf_token: consoleCsrf(browser, `constituent-status:${other}`) });
    expect(wrongRecord.status).toBe(403);
    expect((await row(accountId)).status).toBe('active');

    const { browser: reader } = await as('read_only');
    await page(reader, 'constituents');
    expect((await page(reader, 'constituents')).html).not.toContain('New constituent');
    expect((await page(reader, 'constituents/new')).status).toBe(403);
    const forged = await post(reader, `constituents/${accountId}/disable`, { csrf_token: consoleCsrf(reader, `constituent-status:${accountId}`) });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain('<code>constituents:write</code>');
    const forgedPassword = await post(reader, `constituents/${accountId}/password`, { csrf_token: consoleCsrf(reader, `constituent-password:${accountId}`), password: NEW_PASSWORD });
    expect(forgedPassword.status).toBe(403);
    expect((await row(accountId)).status).toBe('active');
    expect(await audit('constituent.password_set', accountId)).toEqual([]);
  });

  it('answers unknown constituents with the console\'s 404 page, never a 500', async () => {
    const { browser } = await as('owner');
    for (const path of ['constituents/999999', `constituents/${'9'.repeat(300)}`, 'constituents/%3Cscript%3E', `constituents/${seeded.constituent.accountId}/grants/nope/revoke-x`]) {
      const missing = await page(browser, path);
      expect(missing.status, path).toBe(404);
      expect(missing.html).toContain('<h1>Not found</h1>');
      expect(missing.html).not.toContain('<script>');
    }
    expect((await post(browser, 'constituents/999999/disable', { csrf_token: 'x' })).status).toBe(404);
    // Bad values in the address or a form: a page, never a 500.
    for (const path of ['constituents?q=%00', 'constituents?q=a&q=b', 'constituents?q=%ZZ', `constituents?q=${'x'.repeat(2000)}`, 'constituents?status=weird', 'constituents?cursor=%00']) {
      expect([200, 400], path).toContain((await page(browser, path)).status);
    }
    const alice = seeded.constituent.accountId;
    const nul = await browser.request(`${consoleUrl}/constituents/${alice}/password`, { form: { csrf_token: consoleCsrf(browser, `constituent-password:${alice}`), password: 'with a \u0000 nul inside' } });
    expect(nul.status).toBe(400);
    const repeated = await fetch(`${consoleUrl}/constituents/${alice}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gh_staff=${browser.cookie('gh_staff')}; gh_browser=${browser.cookie('gh_browser')}` }, body: `csrf_token=${encodeURIComponent(consoleCsrf(browser, `constituent-update:${alice}`))}&username=a&username=b`, redirect: 'manual' });
    expect(repeated.status).toBe(400);
    const noGrant = await post(browser, `constituents/${seeded.constituent.accountId}/grants/cl_nothing/revoke`, { csrf_token: consoleCsrf(browser, `constituent-grant-revoke:${seeded.constituent.accountId}`) });
    expect(noGrant.status).toBe(404);
  });

  it('reads a bounded number of statements per page, whatever the number of constituents, applications and sessions', async () => {
    const { browser } = await as('owner');
    const accountId = await constituent('counted', { password: PASSWORD });
    const { clientId } = await seedClient(db(), seeded.org.id, { name: 'Counted App' });
    await signIn('counted', PASSWORD, clientId);
    const measure = async (path: string): Promise<number> => {
      await page(browser, path); // warm: the org is cached per process
      counter.count = 0;
      const { status } = await page(browser, path);
      expect(status, path).toBe(200);
      return counter.count;
    };
    const paths = { list: 'constituents?q=count', view: `constituents/${accountId}`, new: 'constituents/new' };
    const measureAll = async () => ({ list: await measure(paths.list), view: await measure(paths.view), new: await measure(paths.new) });
    const few = await measureAll();
    for (let i = 0; i < 30; i++) await constituent(`countmore${i}`);
    for (let i = 0; i < 6; i++) {
      const { clientId: another } = await seedClient(db(), seeded.org.id, { name: `Counted App ${i}` });
      await signIn('counted', PASSWORD, another);
    }
    const many = await measureAll();
    expect(many).toEqual(few);
    // The session, then: one page of constituents; the constituent, its consents, token families and
    // their clients' names (after the constituent again), its sessions (after it again).
    expect(few).toEqual({ list: 2, view: 8, new: 1 });
  });
});
