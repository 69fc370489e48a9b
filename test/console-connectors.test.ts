import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { checkSignInToken } from '../src/connectors/signin-tokens.ts';
import { systemClock } from '../src/lib/clock.ts';
import { updateOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import type { TestBrowser } from './helpers/browser.ts';
import { gatehouse, onlyJson } from './helpers/cli.ts';
import { seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { consoleCsrf, countedStore, decode, formFields, QueryCounter, staffBrowser } from './console-helpers.ts';

// The console's Connectors and Webhooks sections (issue 13, Cyclr's seed) over HTTP, on both
// stores: each page and form through the use cases, bad input answered beside its field, stale
// versions and forms refused, secrets shown once and never again, and bounded queries.

const PARTNER = 'https://partner.example';
const SECRET = 'app-secret-0123456789-never-shown';

describe.each(DIALECTS)('the console\'s connectors and webhooks on %s', (dialect) => {
  let store: TestStore;
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;
  let receiver: Server;
  let receiverUrl = '';
  let receiverStatus = 204;
  const counter = new QueryCounter();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter), env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    // Before any request: the server caches the org it resolves.
    await updateOrganization(server.store.storage.db, systemClock, seeded.org.id, { connectTargetOrigins: [PARTNER] });
    consoleUrl = `${server.url}/o/acme/console`;
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(receiverStatus).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    receiverUrl = `http://127.0.0.1:${address.port}/hooks`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
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
  async function owner(): Promise<TestBrowser> {
    const { browser } = await as('owner');
    await page(browser, ''); // the binding cookie, as a person's first visit sets it
    return browser;
  }
  async function install(browser: TestBrowser, fields: Record<string, string> = {}): Promise<string> {
    const installed = await post(browser, 'connectors/install/openid-connect', {
      csrf_token: consoleCsrf(browser, 'app-connector-install:openid-connect'),
      name: 'Test IdP',
      client_id: 'gatehouse-hub',
      client_secret: SECRET,
      scopes: 'openid',
      'config.issuer': 'https://login.example.com',
      ...fields,
    });
    expect(installed.status, installed.html).toBe(303);
    const match = /connectors\/apps\/([^?]+)\?flash=app_connector_installed$/.exec(installed.location ?? '');
    expect(match).not.toBeNull();
    return decodeURIComponent(match![1]!);
  }
  async function account(browser: TestBrowser, id: string): Promise<void> {
    const created = await post(browser, 'connectors/accounts', { csrf_token: consoleCsrf(browser, 'account-create'), id, name: `Customer ${id}` });
    expect(created.location).toBe(`${consoleUrl}/connectors/accounts/${id}?flash=account_created`);
  }
  async function addConnector(browser: TestBrowser, accountId: string, appId: string): Promise<string> {
    const added = await post(browser, `connectors/accounts/${accountId}/connectors`, { csrf_token: consoleCsrf(browser, `account-connector-add:${accountId}`), app_connector_id: appId, name: '' });
    expect(added.status, added.html).toBe(303);
    return decodeURIComponent(/account-connectors\/([^?]+)\?/.exec(added.location!)![1]!);
  }
  const audit = (action: string) => db().selectFrom('audit_events').selectAll().where('org_id', '=', seeded.org.id).where('action', '=', action).execute();

  it('searches the catalogue by name and by category', async () => {
    const browser = await owner();
    const all = await page(browser, 'connectors/library');
    expect(all.status).toBe(200);
    expect(all.html).toContain('OpenID Connect');
    const byName = await page(browser, 'connectors/library?q=openid');
    expect(byName.html).toContain(`${consoleUrl}/connectors/install/openid-connect`);
    expect(byName.html).not.toContain(`${consoleUrl}/connectors/install/oauth2"`);
    const byCategory = await page(browser, 'connectors/library?category=identity');
    expect(byCategory.html).toContain('/connectors/install/openid-connect');
    expect(byCategory.html).not.toContain('/connectors/install/oauth2"');
    // An unknown category is no filter shown as chosen, and an unknown provider's install a 404 page.
    expect((await page(browser, 'connectors/library?category=%3Cb%3E')).html).not.toContain('<b>');
    expect((await page(browser, 'connectors/install/no-such-provider')).status).toBe(404);
  });

  it('installs a provider with a write-only secret and shows the redirect URI to register; a bad config field is refused beside it, the secret not kept', async () => {
    const browser = await owner();
    // The redirect URI to register is shown before the install too: providers ask for it first.
    expect((await page(browser, 'connectors/install/openid-connect')).html).toContain(`<code class="value" id="redirect-uri">${server.url}/o/acme/connectorauth/callback</code>`);
    const refused = await post(browser, 'connectors/install/openid-connect', {
      csrf_token: consoleCsrf(browser, 'app-connector-install:openid-connect'),
      name: 'Kept name',
      client_id: 'cid',
      client_secret: SECRET,
      'config.issuer': 'not a url',
    });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('<p class="field-error" id="config.issuer-error">');
    expect(refused.html).toContain('href="#config.issuer"');
    expect(refused.html).toContain('value="Kept name"');
    expect(refused.html).toContain('value="not a url"');
    expect(refused.html).not.toContain(SECRET);

    const appId = await install(browser);
    const shown = await page(browser, `connectors/apps/${appId}?flash=app_connector_installed`);
    expect(shown.html).toContain('The app connector was installed.');
    expect(shown.html).toContain(`${server.url}/o/acme/connectorauth/callback`);
    expect(shown.html).toContain('set (never shown)');
    expect(shown.html).not.toContain(SECRET);
    const row = await db().selectFrom('app_connectors').select('client_secret').where('id', '=', appId).executeTakeFirstOrThrow();
    expect(row.client_secret).not.toBeNull();
    expect(row.client_secret).not.toContain(SECRET);
    const events = await audit('app_connector.created');
    expect(events.some((e) => e.target_id === appId)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it('edits an app connector with its version: a stale form shows the current values and the message, an empty secret keeps the stored one', async () => {
    const browser = await owner();
    const appId = await install(browser);
    const before = await db().selectFrom('app_connectors').select(['client_secret', 'updated_at']).where('id', '=', appId).executeTakeFirstOrThrow();
    const fields = formFields((await page(browser, `connectors/apps/${appId}`)).html, `${consoleUrl}/connectors/apps/${appId}`);
    expect(fields.version).toBe(String(before.updated_at));
    const base: Record<string, string> = { ...fields, name: 'Renamed IdP', client_id: 'gatehouse-hub', client_secret: '', scopes: 'openid profile', 'config.issuer': 'https://login.example.com' };
    const saved = await post(browser, `connectors/apps/${appId}`, base);
    expect(saved.location).toBe(`${consoleUrl}/connectors/apps/${appId}?flash=app_connector_updated`);
    const after = await db().selectFrom('app_connectors').select(['name', 'client_secret']).where('id', '=', appId).executeTakeFirstOrThrow();
    expect(after).toEqual({ name: 'Renamed IdP', client_secret: before.client_secret });
    // The same form again: its version is the one before the save.
    const stale = await post(browser, `connectors/apps/${appId}`, { ...base, name: 'Overwrite' });
    expect(stale.status).toBe(409);
    expect(decode(stale.html)).toContain(STALE_MESSAGE);
    expect(stale.html).toContain('value="Renamed IdP"');
    const { version: _dropped, ...withoutVersion } = base;
    expect((await post(browser, `connectors/apps/${appId}`, { ...withoutVersion, name: 'Blind' })).status).toBe(409);
    expect((await db().selectFrom('app_connectors').select('name').where('id', '=', appId).executeTakeFirstOrThrow()).name).toBe('Renamed IdP');
  });

  it('lets the API edit an app connector with If-Match as well: the ETag of a read, a stale one refused (412)', async () => {
    const browser = await owner();
    const appId = await install(browser);
    const { apiKey } = await createStaffUser(db(), systemClock, seeded.org.id, { email: `dev-${appId}@acme.example`, role: 'developer', withApiKey: true });
    const call = (method: string, headers: Record<string, string> = {}, body?: unknown) =>
      fetch(`${server.url}/api/v2/app-connectors/${appId}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`acme:${apiKey!}`).toString('base64')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const etag = (await call('GET')).headers.get('etag')!;
    expect(etag).toMatch(/^"v\d+"$/);
    const saved = await call('PATCH', { 'if-match': etag }, { name: 'Via API' });
    expect(saved.status).toBe(200);
    expect(saved.headers.get('etag')).not.toBe(etag);
    expect((await call('PATCH', { 'if-match': etag }, { name: 'Overwrite' })).status).toBe(412);
    expect((await call('PATCH', {}, { name: 'Without If-Match' })).status).toBe(200);
  });

  it('removes an app connector no account uses, and says why it cannot remove one in use', async () => {
    const browser = await owner();
    const used = await install(browser);
    await account(browser, 'cust-remove');
    await addConnector(browser, 'cust-remove', used);
    const refused = await post(browser, `connectors/apps/${used}/delete`, { csrf_token: consoleCsrf(browser, `app-connector-delete:${used}`) });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain('is used by account connectors');
    const unused = await install(browser);
    const removed = await post(browser, `connectors/apps/${unused}/delete`, { csrf_token: consoleCsrf(browser, `app-connector-delete:${unused}`) });
    expect(removed.location).toBe(`${consoleUrl}/connectors?flash=app_connector_removed`);
    expect((await page(browser, `connectors/apps/${unused}`)).status).toBe(404);
  });

  it('creates accounts (a bad or taken id answered beside the form), adds a connector, and disables, enables and deauthenticates it', async () => {
    const browser = await owner();
    const bad = await post(browser, 'connectors/accounts', { csrf_token: consoleCsrf(browser, 'account-create'), id: 'no spaces allowed', name: 'Kept' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('id="id-error"');
    expect(bad.html).toContain('value="Kept"');
    await account(browser, 'cust-a');
    const taken = await post(browser, 'connectors/accounts', { csrf_token: consoleCsrf(browser, 'account-create'), id: 'cust-a', name: 'Again' });
    expect(taken.status).toBe(409);
    const appId = await install(browser);
    const refusedAdd = await post(browser, 'connectors/accounts/cust-a/connectors', { csrf_token: consoleCsrf(browser, 'account-connector-add:cust-a'), app_connector_id: 'apc_nope' });
    expect(refusedAdd.status).toBe(400);
    expect(refusedAdd.html).toContain('id="app_connector_id-error"');
    const id = await addConnector(browser, 'cust-a', appId);
    const listed = await page(browser, 'connectors/accounts/cust-a');
    expect(listed.html).toContain(`/connectors/account-connectors/${id}`);
    expect(listed.html).toContain('Not connected');

    const act = (action: string) => post(browser, `connectors/account-connectors/${id}/${action}`, { csrf_token: consoleCsrf(browser, `account-connector-${action}:${id}`) });
    expect((await act('disable')).location).toBe(`${consoleUrl}/connectors/account-connectors/${id}?flash=account_connector_disabled`);
    const disabled = await page(browser, `connectors/account-connectors/${id}`);
    expect(disabled.html).toContain('<span class="badge">Disabled</span>');
    expect(disabled.html).toContain(`/account-connectors/${id}/enable"`);
    // A disabled connector cannot be connected: no link that could not work is handed out.
    const noLink = await post(browser, `connectors/account-connectors/${id}/connect-link`, { csrf_token: consoleCsrf(browser, `connect-link:${id}`), username: 'alice', target_origin: PARTNER });
    expect(noLink.status).toBe(409);
    expect(noLink.html).toContain('the connector is disabled; enable it before sending a connect link');
    expect(noLink.html).toContain('value="alice"');
    expect((await act('enable')).location).toContain('flash=account_connector_enabled');
    expect((await act('deauthenticate')).location).toContain('flash=account_connector_deauthenticated');
    // The org's connectors of a status, every account's (the connectors page's counts link there).
    expect((await page(browser, 'connectors')).html).toContain(`href="${consoleUrl}/connectors/account-connectors?status=needs_reauth"`);
    expect((await page(browser, 'connectors/account-connectors?status=unauthenticated')).html).toContain(`/connectors/account-connectors/${id}"`);
    expect((await page(browser, 'connectors/account-connectors?status=disabled')).html).not.toContain(`/connectors/account-connectors/${id}"`);
    expect((await page(browser, 'connectors/account-connectors?status=%3Cb%3E')).status).toBe(400);
    expect((await audit('account_connector.disabled')).some((e) => e.target_id === id)).toBe(true);
    // A token of another form (or none) changes nothing.
    const forged = await post(browser, `connectors/account-connectors/${id}/disable`, { csrf_token: consoleCsrf(browser, `account-connector-enable:${id}`) });
    expect(forged.status).toBe(403);
    expect((await db().selectFrom('account_connectors').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('unauthenticated');
  });

  it('makes a connect link once: the URL holds a usable single-use token, never on a page again nor in the audit log; a foreign origin is refused beside its field', async () => {
    const browser = await owner();
    const appId = await install(browser);
    await account(browser, 'cust-link');
    const id = await addConnector(browser, 'cust-link', appId);
    const form = await page(browser, `connectors/account-connectors/${id}`);
    expect(form.html).toContain(`<option value="${PARTNER}" selected>`);
    const foreign = await post(browser, `connectors/account-connectors/${id}/connect-link`, { csrf_token: consoleCsrf(browser, `connect-link:${id}`), username: 'alice@customer.example', target_origin: 'https://evil.example' });
    expect(foreign.status).toBe(400);
    expect(foreign.html).toContain('id="target_origin-error"');
    expect(foreign.html).toContain('value="alice@customer.example"');
    expect(foreign.html).not.toContain('evil.example');

    const made = await post(browser, `connectors/account-connectors/${id}/connect-link`, { csrf_token: consoleCsrf(browser, `connect-link:${id}`), username: 'alice@customer.example', target_origin: PARTNER });
    expect(made.status).toBe(200);
    const url = new URL(decode(/<code class="value" id="connect-link">([^<]+)<\/code>/.exec(made.html)![1]!));
    expect(`${url.origin}${url.pathname}`).toBe(`${server.url}/o/acme/connectorauth/updateaccountconnectoroauth`);
    expect(url.searchParams.get('id')).toBe(id);
    expect(url.searchParams.get('targetOrigin')).toBe(PARTNER);
    const token = url.searchParams.get('token')!;
    expect(await checkSignInToken(db(), systemClock, seeded.org.id, token, { accountId: 'cust-link' })).toBeUndefined();
    expect((await page(browser, `connectors/account-connectors/${id}`)).html).not.toContain(token);
    const events = await audit('connector.connect_link_issued');
    expect(events.some((e) => e.target_id === id)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(token);
    expect(JSON.stringify(server.logs)).not.toContain(token);
  });

  it('makes the same connect link through the management API (POST /account-connectors/:id/connect-link), its origin judged by the org\'s list', async () => {
    const browser = await owner();
    const appId = await install(browser);
    await account(browser, 'cust-api');
    const id = await addConnector(browser, 'cust-api', appId);
    const { apiKey } = await createStaffUser(db(), systemClock, seeded.org.id, { email: 'dev-api@acme.example', role: 'developer', withApiKey: true });
    const call = (body: unknown) =>
      fetch(`${server.url}/api/v2/account-connectors/${id}/connect-link`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`acme:${apiKey!}`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const made = await call({ username: 'bob', target_origin: PARTNER });
    expect(made.status).toBe(200);
    expect(made.headers.get('cache-control')).toContain('no-store');
    const link = (await made.json()) as { url: string; expires_at: string };
    expect(new URL(link.url).searchParams.get('targetOrigin')).toBe(PARTNER);
    const refused = await call({ username: '', target_origin: 'https://evil.example' });
    expect(refused.status).toBe(400);
    const fields = ((await refused.json()) as { error: { fields: Array<{ field: string }> } }).error.fields.map((f) => f.field).sort();
    expect(fields).toEqual(['target_origin', 'username']);
  });

  it('makes the same connect link from the shell (`gatehouse connectors connect-link`), audited as the CLI', async () => {
    const browser = await owner();
    const appId = await install(browser);
    await account(browser, 'cust-cli');
    const id = await addConnector(browser, 'cust-cli', appId);
    const env = { ...server.store.env };
    const made = onlyJson(await gatehouse(['connectors', 'connect-link', '--org', 'acme', '--connector', id, '--username', 'carol', '--target-origin', PARTNER, '--json'], env));
    const url = new URL(String(made.url));
    expect(url.searchParams.get('id')).toBe(id);
    expect(await checkSignInToken(db(), systemClock, seeded.org.id, url.searchParams.get('token')!, { accountId: 'cust-cli' })).toBeUndefined();
    expect((await audit('connector.connect_link_issued')).some((e) => e.target_id === id && e.actor_type === 'cli')).toBe(true);
    const refused = await gatehouse(['connectors', 'connect-link', '--org', 'acme', '--connector', id, '--username', 'carol', '--target-origin', 'https://evil.example'], env);
    expect(refused.code).not.toBe(0);
  }, 60_000);

  it('creates a webhook endpoint with its secret shown once, edits it with its version, rotates it, and test-sends with the attempt in the log', async () => {
    const browser = await owner();
    const bad = await post(browser, 'webhooks', { csrf_token: consoleCsrf(browser, 'webhook-create'), url: 'ftp://nope', description: 'Kept', event_scope: 'all', enabled: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('id="url-error"');
    expect(bad.html).toContain('value="Kept"');
    const created = await post(browser, 'webhooks', { csrf_token: consoleCsrf(browser, 'webhook-create'), url: receiverUrl, description: 'CRM', event_scope: 'some', event_types: 'connector.needs_reauth', enabled: 'yes' });
    expect(created.status).toBe(200);
    const secret = decode(/<code class="value" id="webhook-secret">([^<]+)<\/code>/.exec(created.html)![1]!);
    expect(secret).toMatch(/^whsec_/);
    const webhookId = decodeURIComponent(/webhooks\/([^"]+)">Done/.exec(created.html)![1]!);
    const view = await page(browser, `webhooks/${webhookId}`);
    expect(view.html).not.toContain(secret);
    expect(view.html).toContain('value="connector.needs_reauth" checked');
    const row = await db().selectFrom('webhook_endpoints').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);

    const fields = formFields(view.html, `${consoleUrl}/webhooks/${webhookId}`);
    const edit = { ...fields, url: receiverUrl, description: 'CRM edited', event_scope: 'all', enabled: 'yes' };
    expect((await post(browser, `webhooks/${webhookId}`, edit)).location).toBe(`${consoleUrl}/webhooks/${webhookId}?flash=webhook_updated`);
    const stale = await post(browser, `webhooks/${webhookId}`, { ...edit, description: 'Overwrite' });
    expect(stale.status).toBe(409);
    expect(decode(stale.html)).toContain(STALE_MESSAGE);
    expect(stale.html).toContain('value="CRM edited"');

    // The API edits with If-Match as well: the ETag of a read, a stale one refused.
    const { apiKey } = await createStaffUser(db(), systemClock, seeded.org.id, { email: `dev-${webhookId}@acme.example`, role: 'developer', withApiKey: true });
    const hookApi = (method: string, headers: Record<string, string> = {}, body?: unknown) =>
      fetch(`${server.url}/api/v2/webhooks/${webhookId}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`acme:${apiKey!}`).toString('base64')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const etag = (await hookApi('GET')).headers.get('etag')!;
    expect((await hookApi('PATCH', { 'if-match': etag }, { description: 'CRM via API' })).status).toBe(200);
    expect((await hookApi('PATCH', { 'if-match': etag }, { description: 'Overwrite' })).status).toBe(412);

    const rotated = await post(browser, `webhooks/${webhookId}/rotate-secret`, { csrf_token: consoleCsrf(browser, `webhook-rotate:${webhookId}`) });
    const newSecret = decode(/<code class="value" id="webhook-secret">([^<]+)<\/code>/.exec(rotated.html)![1]!);
    expect(newSecret).not.toBe(secret);
    expect(rotated.html).toContain('the previous one also signs until');

    const sent = await post(browser, `webhooks/${webhookId}/test`, { csrf_token: consoleCsrf(browser, `webhook-test:${webhookId}`) });
    expect(sent.location).toBe(`${consoleUrl}/webhooks/${webhookId}?flash=webhook_test_delivered`);
    const log = await page(browser, `webhooks/${webhookId}?flash=webhook_test_delivered`);
    expect(log.html).toContain('The test message was delivered');
    expect(log.html).toContain('<code>webhook.test</code>');
    expect(log.html).toMatch(/<td>delivered<\/td><td class="num">204<\/td>/);

    receiverStatus = 500;
    const failed = await post(browser, `webhooks/${webhookId}/test`, { csrf_token: consoleCsrf(browser, `webhook-test:${webhookId}`) });
    receiverStatus = 204;
    expect(failed.location).toContain('flash=webhook_test_failed');
    expect((await page(browser, `webhooks/${webhookId}`)).html).toMatch(/<td>failed<\/td><td class="num">500<\/td>/);
  });

  it('answers unknown ids with the console 404 page and a bad cursor with a 400 page, never a 500', async () => {
    const browser = await owner();
    for (const path of ['connectors/apps/apc_nope', 'connectors/accounts/nope', 'connectors/account-connectors/acn_nope', 'webhooks/whe_nope']) {
      const answer = await page(browser, path);
      expect(answer.status, path).toBe(404);
      expect(answer.html).toContain('<h1>Not found</h1>');
    }
    expect((await post(browser, 'connectors/account-connectors/acn_nope/connect-link', { csrf_token: 'x' })).status).toBe(404);
    // Ids no store could hold (NUL, which PostgreSQL text refuses; a megabyte) are not found either.
    for (const path of ['connectors/apps/%00', 'connectors/accounts/a%00b', 'connectors/account-connectors/%00', 'webhooks/%00', `connectors/accounts/${'a'.repeat(5000)}`]) {
      expect((await page(browser, path)).status, path).toBe(404);
    }
    expect((await page(browser, 'connectors/library?q=a&q=b')).status).toBe(400);
    for (const path of ['connectors?cursor=bad', 'connectors/accounts?cursor=bad', 'webhooks?cursor=bad']) expect((await page(browser, path)).status, path).toBe(400);
  });

  it('reads a bounded number of statements per page, whatever the number of rows', async () => {
    const browser = await owner();
    const appId = await install(browser);
    await account(browser, 'cust-count');
    const connectorId = await addConnector(browser, 'cust-count', appId);
    const created = await post(browser, 'webhooks', { csrf_token: consoleCsrf(browser, 'webhook-create'), url: receiverUrl, event_scope: 'all', enabled: 'yes' });
    const webhookId = decodeURIComponent(/webhooks\/([^"]+)">Done/.exec(created.html)![1]!);
    // One delivery already: the log reads the attempts of the deliveries shown in one more statement.
    await post(browser, `webhooks/${webhookId}/test`, { csrf_token: consoleCsrf(browser, `webhook-test:${webhookId}`) });
    const paths = ['connectors', 'connectors/account-connectors?status=unauthenticated', 'connectors/library', 'connectors/accounts', 'connectors/accounts/cust-count', `connectors/account-connectors/${connectorId}`, `connectors/apps/${appId}`, 'webhooks', `webhooks/${webhookId}`,
      // The changes' pages (console-F): one row each, whatever the account or the endpoint holds.
      'connectors/accounts/cust-count/rename', 'connectors/accounts/cust-count/delete', `connectors/account-connectors/${connectorId}/edit`, `webhooks/${webhookId}/delete`];
    const measure = async (): Promise<Record<string, number>> => {
      const counts: Record<string, number> = {};
      for (const path of paths) {
        await page(browser, path);
        counter.count = 0;
        const { status } = await page(browser, path);
        expect(status, path).toBe(200);
        counts[path] = counter.count;
      }
      return counts;
    };
    const few = await measure();
    for (let i = 0; i < 12; i++) {
      await install(browser);
      await addConnector(browser, 'cust-count', appId);
      await account(browser, `cust-count-${i}`);
      await post(browser, `webhooks/${webhookId}/test`, { csrf_token: consoleCsrf(browser, `webhook-test:${webhookId}`) });
    }
    expect(await measure()).toEqual(few);
    // The session, then the page's own reads.
    expect(few).toEqual({
      connectors: 5, // app connectors, then the status report's three
      'connectors/account-connectors?status=unauthenticated': 2,
      'connectors/library': 1,
      'connectors/accounts': 2,
      'connectors/accounts/cust-count': 5, // the account, the account and its connectors (listAccountConnectors checks it), the app connectors offered
      [`connectors/account-connectors/${connectorId}`]: 3,
      [`connectors/apps/${appId}`]: 2,
      webhooks: 2,
      [`webhooks/${webhookId}`]: 5, // the endpoint, the endpoint again (listWebhookDeliveries checks it), its deliveries and their attempts
      'connectors/accounts/cust-count/rename': 2,
      'connectors/accounts/cust-count/delete': 2,
      [`connectors/account-connectors/${connectorId}/edit`]: 3, // the connector, its app connector (for its provider's config fields)
      [`webhooks/${webhookId}/delete`]: 2,
    });
  });
});
