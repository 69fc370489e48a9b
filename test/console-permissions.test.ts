import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_ROUTES } from '../src/management-routes.ts';
import { ROLE_PERMISSIONS, type Permission } from '../src/staff/permissions.ts';
import { STAFF_ROLES, type StaffRole } from '../src/staff/roles.ts';
import type { TestBrowser } from './helpers/browser.ts';
import { systemClock } from '../src/lib/clock.ts';
import { updateOrganization } from '../src/orgs/orgs.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';
import { consoleCsrf, staffBrowser } from './console-helpers.ts';

/**
 * Every action of the console's pages, with the management API route doing the same: the
 * permission each needs is read from the API's table (MANAGEMENT_ROUTES), and each role's from
 * ROLE_PERMISSIONS, so the console can never allow what the role's API key could not, nor refuse
 * what it could.
 */
interface ConsoleAction {
  readonly name: string;
  readonly api: string;
  /** Performs the action for a browser of the role; returns the status. */
  perform(browser: TestBrowser, clientId: string): Promise<number>;
  /** The control that starts the action, in the page a role allowed to read would see (absent for a role that may not act). */
  readonly control?: { readonly page: (clientId: string) => string; readonly marker: (clientId: string) => string; readonly readPermission?: Permission };
}

const PARTNER = 'https://partner.example';

describe.each(DIALECTS)('the console\'s permission matrix on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    // Before any request (the server caches the org): where a connect link may land (console-D).
    await updateOrganization(server.store.storage.db, systemClock, seeded.org.id, { connectTargetOrigins: [PARTNER] });
    consoleUrl = `${server.url}/o/acme/console`;
  });
  afterAll(async () => {
    await server?.close();
  });

  // Connectors and webhooks (console-D): one app connector, account, account connector and webhook endpoint, made by an owner.
  let targets: { appId: string; accountId: string; connectorId: string; webhookId: string } | undefined;
  let ownerBrowser: TestBrowser | undefined;
  async function asOwner(): Promise<TestBrowser> {
    if (ownerBrowser === undefined) {
      ownerBrowser = (await staffBrowser(server.store.storage.db, seeded.org.id, 'acme', 'owner')).browser;
      await ownerBrowser.request(`${consoleUrl}/`);
    }
    return ownerBrowser;
  }
  async function installAsOwner(): Promise<string> {
    const b = await asOwner();
    const answer = await b.request(`${consoleUrl}/connectors/install/openid-connect`, { form: { csrf_token: consoleCsrf(b, 'app-connector-install:openid-connect'), name: 'Matrix IdP', 'config.issuer': 'https://login.example.com' } });
    return decodeURIComponent(/connectors\/apps\/([^?]+)\?/.exec(answer.headers.get('location') ?? '')![1]!);
  }
  async function connectorTargets(): Promise<NonNullable<typeof targets>> {
    if (targets !== undefined) return targets;
    const b = await asOwner();
    const appId = await installAsOwner();
    await b.request(`${consoleUrl}/connectors/accounts`, { form: { csrf_token: consoleCsrf(b, 'account-create'), id: 'matrix-account', name: 'Matrix account' } });
    const added = await b.request(`${consoleUrl}/connectors/accounts/matrix-account/connectors`, { form: { csrf_token: consoleCsrf(b, 'account-connector-add:matrix-account'), app_connector_id: appId } });
    const connectorId = decodeURIComponent(/account-connectors\/([^?]+)\?/.exec(added.headers.get('location') ?? '')![1]!);
    const hook = await (await b.request(`${consoleUrl}/webhooks`, { form: { csrf_token: consoleCsrf(b, 'webhook-create'), url: 'https://hooks.example/matrix', event_scope: 'all', enabled: 'yes' } })).text();
    const webhookId = decodeURIComponent(/webhooks\/([^"]+)">Done/.exec(hook)![1]!);
    targets = { appId, accountId: 'matrix-account', connectorId, webhookId };
    return targets;
  }

  const get = async (browser: TestBrowser, path: string): Promise<number> => (await browser.request(`${consoleUrl}/${path}`)).status;
  const post = async (browser: TestBrowser, path: string, form: Record<string, string>): Promise<number> => (await browser.request(`${consoleUrl}/${path}`, { form })).status;

  const ACTIONS: readonly ConsoleAction[] = [
    { name: 'see the overview', api: 'GET /org', perform: (b) => get(b, '') },
    { name: 'list clients', api: 'GET /clients', perform: (b) => get(b, 'clients') },
    { name: 'view a client', api: 'GET /clients/:client_id', perform: (b, id) => get(b, `clients/${id}`) },
    {
      name: 'create a client',
      api: 'POST /clients',
      perform: (b) => post(b, 'clients', { csrf_token: consoleCsrf(b, 'client-create'), name: 'Matrix app', client_type: 'confidential', redirect_uris: 'https://matrix.example/cb', scope: 'openid' }),
      control: { page: () => 'clients', marker: () => '/clients/new"' },
    },
    {
      name: 'edit a client',
      api: 'PATCH /clients/:client_id',
      perform: async (b, id) => {
        const version = (await server.store.storage.db.selectFrom('clients').select('updated_at').where('id', '=', id).executeTakeFirstOrThrow()).updated_at;
        return post(b, `clients/${id}`, { csrf_token: consoleCsrf(b, `client-update:${id}`), version: String(version), name: 'Matrix edited', redirect_uris: 'https://app.example.org/callback', scope: 'openid' });
      },
      control: { page: (id) => `clients/${id}`, marker: (id) => `<form method="post" action="${consoleUrl}/clients/${id}" novalidate>` },
    },
    {
      name: 'rotate a client secret',
      api: 'POST /clients/:client_id/rotate-secret',
      perform: (b, id) => post(b, `clients/${id}/rotate-secret`, { csrf_token: consoleCsrf(b, `client-rotate:${id}`) }),
      control: { page: (id) => `clients/${id}`, marker: (id) => `action="${consoleUrl}/clients/${id}/rotate-secret"` },
    },
    // Connectors and webhooks (console-D): targets made once by an owner through the console (connectorTargets).
    { name: 'see the connectors', api: 'GET /app-connectors', perform: (b) => get(b, 'connectors') },
    { name: 'search the connector library', api: 'GET /connector-providers', perform: (b) => get(b, 'connectors/library') },
    { name: 'view an app connector', api: 'GET /app-connectors/:app_connector_id', perform: async (b) => get(b, `connectors/apps/${(await connectorTargets()).appId}`) },
    {
      name: 'install an app connector',
      api: 'POST /app-connectors',
      perform: (b) => post(b, 'connectors/install/openid-connect', { csrf_token: consoleCsrf(b, 'app-connector-install:openid-connect'), name: 'Matrix IdP', client_secret: 's3cret', 'config.issuer': 'https://login.example.com' }),
      control: { page: () => 'connectors/library', marker: () => '/connectors/install/openid-connect"', readPermission: 'connectors:read' },
    },
    {
      name: 'edit an app connector',
      api: 'PATCH /app-connectors/:app_connector_id',
      perform: async (b) => {
        const { appId } = await connectorTargets();
        const version = (await server.store.storage.db.selectFrom('app_connectors').select('updated_at').where('id', '=', appId).executeTakeFirstOrThrow()).updated_at;
        return post(b, `connectors/apps/${appId}`, { csrf_token: consoleCsrf(b, `app-connector-update:${appId}`), version: String(version), name: 'Matrix IdP', 'config.issuer': 'https://login.example.com' });
      },
      control: { page: () => `connectors/apps/${targets!.appId}`, marker: () => `<form method="post" action="${consoleUrl}/connectors/apps/${targets!.appId}" novalidate>`, readPermission: 'connectors:read' },
    },
    {
      name: 'remove an app connector',
      api: 'DELETE /app-connectors/:app_connector_id',
      perform: async (b) => {
        const appId = await installAsOwner();
        return post(b, `connectors/apps/${appId}/delete`, { csrf_token: consoleCsrf(b, `app-connector-delete:${appId}`) });
      },
      control: { page: () => `connectors/apps/${targets!.appId}`, marker: () => `/connectors/apps/${targets!.appId}/delete"`, readPermission: 'connectors:read' },
    },
    { name: 'list accounts', api: 'GET /accounts', perform: (b) => get(b, 'connectors/accounts') },
    { name: 'view an account', api: 'GET /accounts/:account_id', perform: async (b) => get(b, `connectors/accounts/${(await connectorTargets()).accountId}`) },
    {
      name: 'create an account',
      api: 'POST /accounts',
      perform: (b) => post(b, 'connectors/accounts', { csrf_token: consoleCsrf(b, 'account-create'), name: 'Matrix customer' }),
      control: { page: () => 'connectors/accounts', marker: () => `action="${consoleUrl}/connectors/accounts"`, readPermission: 'connectors:read' },
    },
    {
      name: 'add an account connector',
      api: 'POST /accounts/:account_id/connectors',
      perform: async (b) => {
        const { accountId, appId } = await connectorTargets();
        return post(b, `connectors/accounts/${accountId}/connectors`, { csrf_token: consoleCsrf(b, `account-connector-add:${accountId}`), app_connector_id: appId });
      },
      control: { page: () => `connectors/accounts/${targets!.accountId}`, marker: () => `/connectors/accounts/${targets!.accountId}/connectors"`, readPermission: 'connectors:read' },
    },
    { name: "list the org's connectors of a status", api: 'GET /account-connectors', perform: (b) => get(b, 'connectors/account-connectors?status=needs_reauth') },
    { name: 'view an account connector', api: 'GET /account-connectors/:account_connector_id', perform: async (b) => get(b, `connectors/account-connectors/${(await connectorTargets()).connectorId}`) },
    ...(['disable', 'deauthenticate'] as const).map((action) => ({
      name: `${action} an account connector`,
      api: `POST /account-connectors/:account_connector_id/${action}`,
      perform: async (b: TestBrowser) => {
        const { connectorId } = await connectorTargets();
        return post(b, `connectors/account-connectors/${connectorId}/${action}`, { csrf_token: consoleCsrf(b, `account-connector-${action}:${connectorId}`) });
      },
    })),
    {
      name: 'make a connect link',
      api: 'POST /account-connectors/:account_connector_id/connect-link',
      perform: async (b) => {
        const { connectorId } = await connectorTargets();
        return post(b, `connectors/account-connectors/${connectorId}/connect-link`, { csrf_token: consoleCsrf(b, `connect-link:${connectorId}`), username: 'matrix-user', target_origin: PARTNER });
      },
      control: { page: () => `connectors/account-connectors/${targets!.connectorId}`, marker: () => `/connectors/account-connectors/${targets!.connectorId}/connect-link"`, readPermission: 'connectors:read' },
    },
    { name: 'list webhook endpoints', api: 'GET /webhooks', perform: (b) => get(b, 'webhooks') },
    { name: 'view a webhook endpoint', api: 'GET /webhooks/:webhook_id', perform: async (b) => get(b, `webhooks/${(await connectorTargets()).webhookId}`) },
    {
      name: 'create a webhook endpoint',
      api: 'POST /webhooks',
      perform: (b) => post(b, 'webhooks', { csrf_token: consoleCsrf(b, 'webhook-create'), url: 'https://hooks.example/matrix', event_scope: 'all', enabled: 'yes' }),
      control: { page: () => 'webhooks', marker: () => '/webhooks/new"', readPermission: 'webhooks:read' },
    },
    {
      name: 'edit a webhook endpoint',
      api: 'PATCH /webhooks/:webhook_id',
      perform: async (b) => {
        const { webhookId } = await connectorTargets();
        const version = (await server.store.storage.db.selectFrom('webhook_endpoints').select('updated_at').where('id', '=', webhookId).executeTakeFirstOrThrow()).updated_at;
        return post(b, `webhooks/${webhookId}`, { csrf_token: consoleCsrf(b, `webhook-update:${webhookId}`), version: String(version), url: 'https://hooks.example/matrix', event_scope: 'all', enabled: 'yes' });
      },
      control: { page: () => `webhooks/${targets!.webhookId}`, marker: () => `<form method="post" action="${consoleUrl}/webhooks/${targets!.webhookId}" novalidate>`, readPermission: 'webhooks:read' },
    },
    {
      name: 'rotate a webhook secret',
      api: 'POST /webhooks/:webhook_id/rotate-secret',
      perform: async (b) => {
        const { webhookId } = await connectorTargets();
        return post(b, `webhooks/${webhookId}/rotate-secret`, { csrf_token: consoleCsrf(b, `webhook-rotate:${webhookId}`) });
      },
      control: { page: () => `webhooks/${targets!.webhookId}`, marker: () => `/webhooks/${targets!.webhookId}/rotate-secret"`, readPermission: 'webhooks:read' },
    },
  ];

  function permissionOf(api: string) {
    const [method, url] = api.split(' ');
    const route = MANAGEMENT_ROUTES.find((r) => r.method === method && r.url === url);
    if (route === undefined) throw new Error(`no management API route ${api}`);
    return route.permission;
  }

  const cases = STAFF_ROLES.flatMap((role) => ACTIONS.map((action) => ({ role, action, allowed: ROLE_PERMISSIONS[role].includes(permissionOf(action.api)) })));

  it.each(cases.map((c) => [c.role, c.action.name, c.allowed ? 'allowed' : 'refused', c] as const))('%s: %s is %s, as through the API', async (_role, _name, _verdict, c) => {
    const { clientId } = await seedClient(server.store.storage.db, seeded.org.id, { name: 'Matrix target' });
    const { browser } = await staffBrowser(server.store.storage.db, seeded.org.id, 'acme', c.role as StaffRole);
    // The page the role reads first (it sets the browser's binding cookie, as a person's visit does).
    await browser.request(`${consoleUrl}/`);
    const status = await c.action.perform(browser, clientId);
    if (c.allowed) expect([200, 303]).toContain(status);
    else expect(status).toBe(403);
    const control = c.action.control;
    if (control !== undefined && ROLE_PERMISSIONS[c.role].includes(control.readPermission ?? 'clients:read')) {
      const html = await (await browser.request(`${consoleUrl}/${control.page(clientId)}`)).text();
      // A role sees the control exactly when it may use it.
      expect(html.includes(control.marker(clientId))).toBe(c.allowed);
    }
  });

  it('shows each role the nav entries of the sections it may read', async () => {
    for (const role of STAFF_ROLES) {
      const { browser } = await staffBrowser(server.store.storage.db, seeded.org.id, 'acme', role);
      const html = await (await browser.request(`${consoleUrl}/`)).text();
      expect(html.includes(`<a href="${consoleUrl}/clients"`), role).toBe(ROLE_PERMISSIONS[role].includes('clients:read'));
      expect(html.includes(`<a href="${consoleUrl}/connectors"`), role).toBe(ROLE_PERMISSIONS[role].includes('connectors:read'));
      expect(html.includes(`<a href="${consoleUrl}/webhooks"`), role).toBe(ROLE_PERMISSIONS[role].includes('webhooks:read'));
    }
  });
});
