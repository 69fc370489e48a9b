import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_MESSAGE } from '../src/console/forms.ts';
import { loadAccountConnector, openSecretProperties } from '../src/connectors/account-connector-admin.ts';
import { createVault } from '../src/connectors/vault/vault.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import type { TestBrowser } from './helpers/browser.ts';
import { seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';
import { consoleCsrf, decode, formFields, staffBrowser } from './console-helpers.ts';

// The gaps the connector and webhook pages had (issue 13), over HTTP on both stores: a webhook
// endpoint deleted after a confirmation; an account renamed and deleted; an account connector's
// name, config and own ClientId/ClientSecret edited with its version (the secret write-only,
// never shown). Each through the use case the API calls, audited; bad input beside its field.

const SECRET = 'customer-app-secret-never-shown-0123';
const ROOT_KEY = randomBytes(32);

describe.each(DIALECTS)('the console\'s account, connector and webhook changes on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;

  beforeAll(async () => {
    server = await startTestServer(dialect, { rootKey: ROOT_KEY });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    consoleUrl = `${server.url}/o/acme/console`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.store.storage.db;
  async function as(role: Parameters<typeof staffBrowser>[3]): Promise<TestBrowser> {
    const { browser } = await staffBrowser(db(), seeded.org.id, 'acme', role);
    await browser.request(`${consoleUrl}/`); // the binding cookie, as a person's first visit sets it
    return browser;
  }
  async function page(browser: TestBrowser, path: string): Promise<{ status: number; html: string }> {
    const response = await browser.request(`${consoleUrl}/${path}`);
    return { status: response.status, html: decode(await response.text()) };
  }
  async function post(browser: TestBrowser, path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null }> {
    const response = await browser.request(`${consoleUrl}/${path}`, { form });
    return { status: response.status, html: decode(await response.text()), location: response.headers.get('location') };
  }
  const audit = (action: string, targetId: string) =>
    db().selectFrom('audit_events').selectAll().where('org_id', '=', seeded.org.id).where('action', '=', action).where('target_id', '=', targetId).execute();

  async function webhook(browser: TestBrowser): Promise<string> {
    const made = await post(browser, 'webhooks', { csrf_token: consoleCsrf(browser, 'webhook-create'), url: 'https://hooks.example/gone', event_scope: 'all', enabled: 'yes' });
    return decodeURIComponent(/webhooks\/([^"]+)">Done/.exec(made.html)![1]!);
  }
  async function account(browser: TestBrowser, id: string): Promise<void> {
    const created = await post(browser, 'connectors/accounts', { csrf_token: consoleCsrf(browser, 'account-create'), id, name: `Customer ${id}` });
    expect(created.location).toBe(`${consoleUrl}/connectors/accounts/${id}?flash=account_created`);
  }
  async function connector(browser: TestBrowser, accountId: string): Promise<string> {
    const installed = await post(browser, 'connectors/install/openid-connect', { csrf_token: consoleCsrf(browser, 'app-connector-install:openid-connect'), name: 'Test IdP', 'config.issuer': 'https://login.example.com' });
    const appId = decodeURIComponent(/connectors\/apps\/([^?]+)\?/.exec(installed.location!)![1]!);
    await account(browser, accountId);
    const added = await post(browser, `connectors/accounts/${accountId}/connectors`, { csrf_token: consoleCsrf(browser, `account-connector-add:${accountId}`), app_connector_id: appId, name: '' });
    return decodeURIComponent(/account-connectors\/([^?]+)\?/.exec(added.location!)![1]!);
  }

  it('deletes a webhook endpoint after a confirmation page; a stale form, a read-only role and an unknown id change nothing', async () => {
    const owner = await as('owner');
    const id = await webhook(owner);
    const view = await page(owner, `webhooks/${id}`);
    expect(view.html).toContain(`href="${consoleUrl}/webhooks/${id}/delete"`);
    const confirm = await page(owner, `webhooks/${id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Delete the endpoint for good');
    // GET deletes nothing; a form without its token neither.
    expect(await db().selectFrom('webhook_endpoints').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined();
    expect((await post(owner, `webhooks/${id}/delete`, { csrf_token: 'forged' })).status).toBe(403);
    const readOnly = await as('read_only');
    expect((await page(readOnly, `webhooks/${id}`)).html).not.toContain(`/webhooks/${id}/delete"`);
    expect((await page(readOnly, `webhooks/${id}/delete`)).status).toBe(403);
    expect((await post(readOnly, `webhooks/${id}/delete`, { csrf_token: consoleCsrf(readOnly, `webhook-delete:${id}`) })).status).toBe(403);
    expect(await db().selectFrom('webhook_endpoints').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined();

    const deleted = await post(owner, `webhooks/${id}/delete`, { ...formFields(confirm.html, `${consoleUrl}/webhooks/${id}/delete`) });
    expect(deleted.location).toBe(`${consoleUrl}/webhooks?flash=webhook_deleted`);
    expect(await db().selectFrom('webhook_endpoints').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(await audit('webhook_endpoint.deleted', id)).toHaveLength(1);
    expect((await page(owner, 'webhooks?flash=webhook_deleted')).html).toContain('The endpoint was deleted, with its deliveries.');
    // Gone: its pages are the console's 404, and deleting it again too.
    expect((await page(owner, `webhooks/${id}/delete`)).status).toBe(404);
    expect((await post(owner, `webhooks/${id}/delete`, { csrf_token: consoleCsrf(owner, `webhook-delete:${id}`) })).status).toBe(404);
  });

  it('renames an account (an empty name answered beside its field, the value kept) and deletes it after a confirmation', async () => {
    const owner = await as('owner');
    await account(owner, 'riverside');
    const view = await page(owner, 'connectors/accounts/riverside');
    expect(view.html).toContain(`href="${consoleUrl}/connectors/accounts/riverside/rename"`);
    expect(view.html).toContain(`href="${consoleUrl}/connectors/accounts/riverside/delete"`);
    const readOnlyToo = await as('read_only');
    expect((await page(readOnlyToo, 'connectors/accounts/riverside')).html).not.toContain('/connectors/accounts/riverside/rename"');

    const form = await page(owner, 'connectors/accounts/riverside/rename');
    expect(form.html).toContain('value="Customer riverside"');
    const fields = formFields(form.html, `${consoleUrl}/connectors/accounts/riverside/rename`);
    const refused = await post(owner, 'connectors/accounts/riverside/rename', { ...fields, name: '   ' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('aria-invalid="true"');
    expect(refused.html).toContain('Nothing was saved');
    const renamed = await post(owner, 'connectors/accounts/riverside/rename', { ...fields, name: 'Riverside Food Bank' });
    expect(renamed.location).toBe(`${consoleUrl}/connectors/accounts/riverside?flash=account_renamed`);
    expect((await db().selectFrom('connector_accounts').select('name').where('id', '=', 'riverside').executeTakeFirstOrThrow()).name).toBe('Riverside Food Bank');
    expect(await audit('connector_account.updated', 'riverside')).toHaveLength(1);

    const confirm = await page(owner, 'connectors/accounts/riverside/delete');
    expect(confirm.html).toContain('Delete the account for good');
    const deleted = await post(owner, 'connectors/accounts/riverside/delete', formFields(confirm.html, `${consoleUrl}/connectors/accounts/riverside/delete`));
    expect(deleted.location).toBe(`${consoleUrl}/connectors/accounts?flash=account_deleted`);
    expect(await db().selectFrom('connector_accounts').select('id').where('id', '=', 'riverside').executeTakeFirst()).toBeUndefined();
    expect(await audit('connector_account.deleted', 'riverside')).toHaveLength(1);
    expect((await page(owner, 'connectors/accounts/riverside/rename')).status).toBe(404);
  });

  it('edits an account connector: ClientId in clear, ClientSecret write-only and sealed, config checked beside its field, a stale version refused', async () => {
    const owner = await as('owner');
    const id = await connector(owner, 'northside');
    const action = `${consoleUrl}/connectors/account-connectors/${id}/edit`;
    expect((await page(owner, `connectors/account-connectors/${id}`)).html).toContain(`href="${action}"`);
    const form = await page(owner, `connectors/account-connectors/${id}/edit`);
    expect(form.status).toBe(200);
    const state = formFields(form.html, action);
    expect(state.version).toBe('1');

    // A bad config value: beside its field, the values kept, the secret never given back.
    const bad = await post(owner, `connectors/account-connectors/${id}/edit`, { ...state, name: 'Northside IdP', 'config.issuer': 'not a url', 'properties.ClientId': 'northside-app', 'properties.ClientSecret': SECRET });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/<p class="field-error" id="config\.issuer-error">/);
    expect(bad.html).toContain('value="Northside IdP"');
    expect(bad.html).toContain('value="northside-app"');
    expect(bad.html).not.toContain(SECRET);

    const saved = await post(owner, `connectors/account-connectors/${id}/edit`, { ...state, name: 'Northside IdP', 'config.issuer': 'https://id.northside.example', 'properties.ClientId': 'northside-app', 'properties.ClientSecret': SECRET });
    expect(saved.location).toBe(`${consoleUrl}/connectors/account-connectors/${id}?flash=account_connector_updated`);
    // The server's vault, over the same root key: what was sealed opens to the secret typed.
    const ctx = { db: db(), clock: systemClock, org: seeded.org, actor: CLI_OPERATOR, vault: createVault(db(), createSealer(ROOT_KEY), systemClock), allowHttpUrls: false };
    let stored = await loadAccountConnector(db(), seeded.org.id, id);
    expect(stored).toMatchObject({ name: 'Northside IdP', config: { issuer: 'https://id.northside.example' }, properties: { ClientId: 'northside-app' }, secretPropertyNames: ['ClientSecret'], version: 2 });
    expect(await openSecretProperties(ctx, stored)).toEqual({ ClientSecret: SECRET });
    const events = await audit('account_connector.updated', id);
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(SECRET);

    // The form again: ClientId shown, the secret never; empty keeps it, emptied ClientId removes it.
    const again = await page(owner, `connectors/account-connectors/${id}/edit`);
    expect(again.html).toContain('value="northside-app"');
    expect(again.html).toContain('A secret is stored (never shown)');
    expect(again.html).not.toContain(SECRET);
    const next = formFields(again.html, action);
    expect((await post(owner, `connectors/account-connectors/${id}/edit`, { ...next, name: 'Northside IdP', 'config.issuer': 'https://id.northside.example', 'properties.ClientId': '', 'properties.ClientSecret': '' })).status).toBe(303);
    stored = await loadAccountConnector(db(), seeded.org.id, id);
    expect(stored.properties).toEqual({});
    expect(await openSecretProperties(ctx, stored)).toEqual({ ClientSecret: SECRET });

    // The form of version 2, sent after version 3 landed: the stale message, the current values shown.
    const stale = await post(owner, `connectors/account-connectors/${id}/edit`, { ...next, name: 'Overwritten', 'config.issuer': 'https://id.northside.example' });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain(STALE_MESSAGE);
    expect((await loadAccountConnector(db(), seeded.org.id, id)).name).toBe('Northside IdP');
    expect((await post(owner, `connectors/account-connectors/${id}/edit`, { csrf_token: next.csrf_token!, name: 'Blind' })).status).toBe(409);

    const readOnlyToo = await as('read_only');
    expect((await page(readOnlyToo, `connectors/account-connectors/${id}`)).html).not.toContain(`href="${action}"`);
    expect((await page(readOnlyToo, `connectors/account-connectors/${id}/edit`)).status).toBe(403);
    expect((await post(readOnlyToo, `connectors/account-connectors/${id}/edit`, { csrf_token: consoleCsrf(readOnlyToo, `account-connector-update:${id}`), version: '3', name: 'Support' })).status).toBe(403);
    expect((await page(owner, 'connectors/account-connectors/nope/edit')).status).toBe(404);
    expect(JSON.stringify(server.logs)).not.toContain(SECRET);
  });
});
