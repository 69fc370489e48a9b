import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { MANAGEMENT_ROUTES } from '../src/management-routes.ts';
import { setCustomScope } from '../src/orgs/custom-scopes.ts';
import { findOrganizationById, updateOrganization } from '../src/orgs/orgs.ts';
import { ROLE_PERMISSIONS, type Permission } from '../src/staff/permissions.ts';
import { disableStaffUser } from '../src/staff/staff-admin.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import { createStaffUser, issueApiKey } from '../src/staff/staff.ts';
import { STAFF_ROLES, type StaffRole } from '../src/staff/roles.ts';
import type { TestBrowser } from './helpers/browser.ts';
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
  readonly control?: { readonly page: (clientId: string) => string; readonly marker: (clientId: string) => string; /** What reading the page needs (default clients:read). */ readonly read?: Permission };
}

const PARTNER = 'https://partner.example';

describe.each(DIALECTS)('the console\'s permission matrix on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;
  let shown: { accountId: string; clientId: string; session: string };
  let viewTarget: string;
  let viewKey: string;
  let disabledTarget: string;
  let made = 0;

  const newStaffUser = async (): Promise<string> => (await createStaffUser(server.store.storage.db, systemClock, seeded.org.id, { email: `target-${++made}@acme.example`, role: 'support' })).userId;
  const newKey = async (userId: string): Promise<string> => (await issueApiKey(server.store.storage.db, Date.now(), seeded.org.id, userId, null)).id;
  const staffVersion = async (userId: string): Promise<string> => String((await server.store.storage.db.selectFrom('staff_users').select('updated_at').where('id', '=', userId).executeTakeFirstOrThrow()).updated_at);

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    // Before any request, so the process's cached org already holds it.
    await setCustomScope(server.store.storage.db, systemClock, seeded.org.id, 'matrix', { description: 'Matrix', attributes: [] });
    // Before any request (the server caches the org): where a connect link may land (console-D).
    await updateOrganization(server.store.storage.db, systemClock, seeded.org.id, { connectTargetOrigins: [PARTNER] });
    consoleUrl = `${server.url}/o/acme/console`;
    const { clientId } = await seedClient(server.store.storage.db, seeded.org.id, { name: 'Matrix grant' });
    const fresh = await freshConstituent({ grantTo: clientId, session: true });
    shown = { accountId: fresh.accountId, clientId, session: fresh.session! };
    // Staff pages' controls are looked for on these (never changed by the actions, which act on fresh users and keys).
    viewTarget = await newStaffUser();
    viewKey = await newKey(viewTarget);
    disabledTarget = await newStaffUser();
    await disableStaffUser({ db: server.store.storage.db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, disabledTarget);
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
    // Registrations, the client lifecycle and custom scopes (console helper A).
    { name: 'list registration requests', api: 'GET /clients', perform: (b) => get(b, 'registrations') },
    { name: 'view a registration request', api: 'GET /clients/:client_id', perform: (b, id) => get(b, `registrations/${id}`) },
    {
      name: 'approve a registration',
      api: 'POST /clients/:client_id/approve',
      perform: async (b) => {
        const id = await pendingClient();
        return post(b, `registrations/${id}/approve`, { csrf_token: consoleCsrf(b, `registration-approve:${id}`) });
      },
    },
    {
      name: 'reject a registration',
      api: 'POST /clients/:client_id/reject',
      perform: async (b) => {
        const id = await pendingClient();
        return post(b, `registrations/${id}/reject`, { csrf_token: consoleCsrf(b, `registration-reject:${id}`), reason: 'Not ours' });
      },
    },
    {
      name: 'change the registration policy',
      api: 'PUT /client-registration',
      perform: async (b) => post(b, 'registrations/policy', { csrf_token: consoleCsrf(b, 'registration-policy'), version: String(await orgVersion()), mode: 'approval', initial_access_token: 'keep' }),
      control: { page: () => 'registrations', marker: () => `action="${consoleUrl}/registrations/policy"` },
    },
    {
      name: 'suspend a client',
      api: 'POST /clients/:client_id/suspend',
      // On a client of its own: the control is looked for on the target's page afterwards.
      perform: async (b) => {
        const id = (await seedClient(server.store.storage.db, seeded.org.id, { name: 'Matrix suspended' })).clientId;
        return post(b, `clients/${id}/suspend`, { csrf_token: consoleCsrf(b, `client-suspend:${id}`) });
      },
      control: { page: (id) => `clients/${id}`, marker: (id) => `href="${consoleUrl}/clients/${id}/suspend"` },
    },
    {
      name: 'reactivate a client',
      api: 'POST /clients/:client_id/reactivate',
      perform: async (b, id) => {
        await server.store.storage.db.updateTable('clients').set({ status: 'suspended' }).where('id', '=', id).execute();
        return post(b, `clients/${id}/reactivate`, { csrf_token: consoleCsrf(b, `client-reactivate:${id}`) });
      },
    },
    {
      name: 'delete a client',
      api: 'DELETE /clients/:client_id',
      perform: async (b) => {
        const id = (await seedClient(server.store.storage.db, seeded.org.id, { name: 'Matrix deleted' })).clientId;
        return post(b, `clients/${id}/delete`, { csrf_token: consoleCsrf(b, `client-delete:${id}`) });
      },
      control: { page: (id) => `clients/${id}`, marker: (id) => `href="${consoleUrl}/clients/${id}/delete"` },
    },
    { name: 'list custom scopes', api: 'GET /scopes', perform: (b) => get(b, 'scopes') },
    {
      name: 'add a custom scope',
      api: 'PUT /scopes/:name',
      perform: (b) => post(b, 'scopes', { csrf_token: consoleCsrf(b, 'scope-create'), name: `matrix_${Math.random().toString(36).slice(2)}`, description: 'Matrix', attributes: '' }),
      control: { page: () => 'scopes', marker: () => `action="${consoleUrl}/scopes"` },
    },
    {
      name: 'edit a custom scope',
      api: 'PUT /scopes/:name',
      perform: async (b) => post(b, 'scopes/matrix', { csrf_token: consoleCsrf(b, 'scope-update:matrix'), version: String(await orgVersion()), description: 'Matrix edited', attributes: 'tier' }),
      control: { page: () => 'scopes/matrix', marker: () => `action="${consoleUrl}/scopes/matrix"` },
    },
    {
      name: 'remove a custom scope',
      api: 'DELETE /scopes/:name',
      perform: async (b) => {
        const name = await scopeToRemove();
        return post(b, `scopes/${name}/remove`, { csrf_token: consoleCsrf(b, `scope-remove:${name}`) });
      },
      control: { page: () => 'scopes/matrix', marker: () => `href="${consoleUrl}/scopes/matrix/remove"` },
    },
    // Constituents and audit log (constituent-pages.ts, audit-pages.ts): each write acts on a constituent of its own;
    // its control is looked for on the page of `shown`, an active constituent with a live session and a grant.
    { name: 'search constituents', api: 'GET /constituents', perform: (b) => get(b, 'constituents?q=a') },
    { name: 'view a constituent', api: 'GET /constituents/:account_id', perform: (b) => get(b, `constituents/${shown.accountId}`) },
    {
      name: 'create a constituent',
      api: 'POST /constituents',
      perform: (b) => post(b, 'constituents', { csrf_token: consoleCsrf(b, 'constituent-create'), username: `matrix-${Math.random().toString(36).slice(2)}` }),
      control: { page: () => 'constituents', marker: () => '/constituents/new"' },
    },
    {
      name: 'edit a constituent',
      api: 'PATCH /constituents/:account_id',
      perform: async (b) => {
        const { accountId, version } = await freshConstituent();
        return post(b, `constituents/${accountId}`, { csrf_token: consoleCsrf(b, `constituent-update:${accountId}`), version: String(version), username: `edited-${accountId}` });
      },
      control: { page: () => `constituents/${shown.accountId}`, marker: () => `<form method="post" action="${consoleUrl}/constituents/${shown.accountId}" novalidate>` },
    },
    ...constituentAction('disable a constituent', 'POST /constituents/:account_id/disable', 'disable', 'constituent-status'),
    ...constituentAction('enable a constituent', 'POST /constituents/:account_id/enable', 'enable', 'constituent-status', { control: false }),
    {
      name: "set a constituent's password",
      api: 'POST /constituents/:account_id/password',
      perform: async (b) => {
        const { accountId } = await freshConstituent();
        return post(b, `constituents/${accountId}/password`, { csrf_token: consoleCsrf(b, `constituent-password:${accountId}`), password: 'matrix passphrase' });
      },
      control: { page: () => `constituents/${shown.accountId}`, marker: () => `action="${consoleUrl}/constituents/${shown.accountId}/password"` },
    },
    {
      name: "revoke a constituent's grant",
      api: 'DELETE /constituents/:account_id/grants/:client_id',
      perform: async (b, clientId) => {
        const { accountId } = await freshConstituent({ grantTo: clientId });
        return post(b, `constituents/${accountId}/grants/${clientId}/revoke`, { csrf_token: consoleCsrf(b, `constituent-grant-revoke:${accountId}`) });
      },
      control: { page: () => `constituents/${shown.accountId}`, marker: () => `action="${consoleUrl}/constituents/${shown.accountId}/grants/${shown.clientId}/revoke"` },
    },
    {
      name: "end a constituent's session",
      api: 'DELETE /constituents/:account_id/sessions/:session_id',
      perform: async (b) => {
        const { accountId, session } = await freshConstituent({ session: true });
        return post(b, `constituents/${accountId}/sessions/${session}/end`, { csrf_token: consoleCsrf(b, `constituent-session-end:${accountId}`) });
      },
      control: { page: () => `constituents/${shown.accountId}`, marker: () => `action="${consoleUrl}/constituents/${shown.accountId}/sessions/${shown.session}/end"` },
    },
    ...constituentAction("end every session of a constituent", 'DELETE /constituents/:account_id/sessions', 'sessions/end-all', 'constituent-session-end'),
    { name: 'read the audit log', api: 'GET /audit', perform: (b) => get(b, 'audit') },
    { name: 'export the audit log', api: 'GET /audit', perform: (b) => get(b, 'audit/export.csv') },
    // Staff and API access (staff-pages.ts).
    { name: 'list staff users', api: 'GET /staff', perform: (b) => get(b, 'staff') },
    { name: 'view a staff user', api: 'GET /staff/:user_id', perform: (b) => get(b, `staff/${viewTarget}`) },
    {
      name: 'create a staff user',
      api: 'POST /staff',
      perform: (b) => post(b, 'staff', { csrf_token: consoleCsrf(b, 'staff-create'), email: `created-${++made}@acme.example`, role: 'support' }),
      control: { page: () => 'staff', marker: () => '/staff/new"', read: 'staff:read' },
    },
    {
      name: 'change a staff user\'s role',
      api: 'PATCH /staff/:user_id',
      perform: async (b) => {
        const id = await newStaffUser();
        return post(b, `staff/${id}`, { csrf_token: consoleCsrf(b, `staff-update:${id}`), version: await staffVersion(id), name: '', role: 'developer' });
      },
      control: { page: () => `staff/${viewTarget}`, marker: () => `<form method="post" action="${consoleUrl}/staff/${viewTarget}" novalidate>`, read: 'staff:read' },
    },
    {
      name: 'disable a staff user',
      api: 'POST /staff/:user_id/disable',
      perform: async (b) => {
        const id = await newStaffUser();
        return post(b, `staff/${id}/disable`, { csrf_token: consoleCsrf(b, `staff-status:${id}`) });
      },
      control: { page: () => `staff/${viewTarget}`, marker: () => `action="${consoleUrl}/staff/${viewTarget}/disable"`, read: 'staff:read' },
    },
    {
      name: 'enable a staff user',
      api: 'POST /staff/:user_id/enable',
      perform: async (b) => {
        const id = await newStaffUser();
        await disableStaffUser({ db: server.store.storage.db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, id);
        return post(b, `staff/${id}/enable`, { csrf_token: consoleCsrf(b, `staff-status:${id}`) });
      },
      control: { page: () => `staff/${disabledTarget}`, marker: () => `action="${consoleUrl}/staff/${disabledTarget}/enable"`, read: 'staff:read' },
    },
    {
      name: 'set a staff user\'s console password',
      api: 'POST /staff/:user_id/password',
      perform: async (b) => {
        const id = await newStaffUser();
        return post(b, `staff/${id}/password`, { csrf_token: consoleCsrf(b, `staff-password:${id}`), password: 'a long enough passphrase' });
      },
      control: { page: () => `staff/${viewTarget}`, marker: () => `action="${consoleUrl}/staff/${viewTarget}/password"`, read: 'staff:read' },
    },
    {
      name: 'enable API access',
      api: 'POST /staff/:user_id/api-keys',
      perform: async (b) => {
        const id = await newStaffUser();
        return post(b, `staff/${id}/api-keys`, { csrf_token: consoleCsrf(b, `api-key-create:${id}`) });
      },
      control: { page: () => `staff/${viewTarget}`, marker: () => `action="${consoleUrl}/staff/${viewTarget}/api-keys"`, read: 'staff:read' },
    },
    {
      name: 'rotate an API key',
      api: 'POST /api-keys/:key_id/rotate',
      perform: async (b) => {
        const key = await newKey(await newStaffUser());
        return post(b, `api-keys/${key}/rotate`, { csrf_token: consoleCsrf(b, `api-key-rotate:${key}`) });
      },
      control: { page: () => `staff/${viewTarget}`, marker: () => `action="${consoleUrl}/api-keys/${viewKey}/rotate"`, read: 'staff:read' },
    },
    {
      name: 'revoke an API key',
      api: 'DELETE /api-keys/:key_id',
      perform: async (b) => {
        const key = await newKey(await newStaffUser());
        return post(b, `api-keys/${key}/revoke`, { csrf_token: consoleCsrf(b, `api-key-revoke:${key}`) });
      },
      control: { page: () => `staff/${viewTarget}`, marker: () => `action="${consoleUrl}/api-keys/${viewKey}/revoke"`, read: 'staff:read' },
    },
    // Connectors and webhooks (console-D): targets made once by an owner through the console (connectorTargets).
    { name: 'see the connectors', api: 'GET /app-connectors', perform: (b) => get(b, 'connectors') },
    { name: 'search the connector library', api: 'GET /connector-providers', perform: (b) => get(b, 'connectors/library') },
    { name: 'view an app connector', api: 'GET /app-connectors/:app_connector_id', perform: async (b) => get(b, `connectors/apps/${(await connectorTargets()).appId}`) },
    {
      name: 'install an app connector',
      api: 'POST /app-connectors',
      perform: (b) => post(b, 'connectors/install/openid-connect', { csrf_token: consoleCsrf(b, 'app-connector-install:openid-connect'), name: 'Matrix IdP', client_secret: 's3cret', 'config.issuer': 'https://login.example.com' }),
      control: { page: () => 'connectors/library', marker: () => '/connectors/install/openid-connect"', read: 'connectors:read' },
    },
    {
      name: 'edit an app connector',
      api: 'PATCH /app-connectors/:app_connector_id',
      perform: async (b) => {
        const { appId } = await connectorTargets();
        const version = (await server.store.storage.db.selectFrom('app_connectors').select('updated_at').where('id', '=', appId).executeTakeFirstOrThrow()).updated_at;
        return post(b, `connectors/apps/${appId}`, { csrf_token: consoleCsrf(b, `app-connector-update:${appId}`), version: String(version), name: 'Matrix IdP', 'config.issuer': 'https://login.example.com' });
      },
      control: { page: () => `connectors/apps/${targets!.appId}`, marker: () => `<form method="post" action="${consoleUrl}/connectors/apps/${targets!.appId}" novalidate>`, read: 'connectors:read' },
    },
    {
      name: 'remove an app connector',
      api: 'DELETE /app-connectors/:app_connector_id',
      perform: async (b) => {
        const appId = await installAsOwner();
        return post(b, `connectors/apps/${appId}/delete`, { csrf_token: consoleCsrf(b, `app-connector-delete:${appId}`) });
      },
      control: { page: () => `connectors/apps/${targets!.appId}`, marker: () => `/connectors/apps/${targets!.appId}/delete"`, read: 'connectors:read' },
    },
    { name: 'list accounts', api: 'GET /accounts', perform: (b) => get(b, 'connectors/accounts') },
    { name: 'view an account', api: 'GET /accounts/:account_id', perform: async (b) => get(b, `connectors/accounts/${(await connectorTargets()).accountId}`) },
    {
      name: 'create an account',
      api: 'POST /accounts',
      perform: (b) => post(b, 'connectors/accounts', { csrf_token: consoleCsrf(b, 'account-create'), name: 'Matrix customer' }),
      control: { page: () => 'connectors/accounts', marker: () => `action="${consoleUrl}/connectors/accounts"`, read: 'connectors:read' },
    },
    {
      name: 'add an account connector',
      api: 'POST /accounts/:account_id/connectors',
      perform: async (b) => {
        const { accountId, appId } = await connectorTargets();
        return post(b, `connectors/accounts/${accountId}/connectors`, { csrf_token: consoleCsrf(b, `account-connector-add:${accountId}`), app_connector_id: appId });
      },
      control: { page: () => `connectors/accounts/${targets!.accountId}`, marker: () => `/connectors/accounts/${targets!.accountId}/connectors"`, read: 'connectors:read' },
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
      control: { page: () => `connectors/account-connectors/${targets!.connectorId}`, marker: () => `/connectors/account-connectors/${targets!.connectorId}/connect-link"`, read: 'connectors:read' },
    },
    { name: 'list webhook endpoints', api: 'GET /webhooks', perform: (b) => get(b, 'webhooks') },
    { name: 'view a webhook endpoint', api: 'GET /webhooks/:webhook_id', perform: async (b) => get(b, `webhooks/${(await connectorTargets()).webhookId}`) },
    {
      name: 'create a webhook endpoint',
      api: 'POST /webhooks',
      perform: (b) => post(b, 'webhooks', { csrf_token: consoleCsrf(b, 'webhook-create'), url: 'https://hooks.example/matrix', event_scope: 'all', enabled: 'yes' }),
      control: { page: () => 'webhooks', marker: () => '/webhooks/new"', read: 'webhooks:read' },
    },
    {
      name: 'edit a webhook endpoint',
      api: 'PATCH /webhooks/:webhook_id',
      perform: async (b) => {
        const { webhookId } = await connectorTargets();
        const version = (await server.store.storage.db.selectFrom('webhook_endpoints').select('updated_at').where('id', '=', webhookId).executeTakeFirstOrThrow()).updated_at;
        return post(b, `webhooks/${webhookId}`, { csrf_token: consoleCsrf(b, `webhook-update:${webhookId}`), version: String(version), url: 'https://hooks.example/matrix', event_scope: 'all', enabled: 'yes' });
      },
      control: { page: () => `webhooks/${targets!.webhookId}`, marker: () => `<form method="post" action="${consoleUrl}/webhooks/${targets!.webhookId}" novalidate>`, read: 'webhooks:read' },
    },
    {
      name: 'rotate a webhook secret',
      api: 'POST /webhooks/:webhook_id/rotate-secret',
      perform: async (b) => {
        const { webhookId } = await connectorTargets();
        return post(b, `webhooks/${webhookId}/rotate-secret`, { csrf_token: consoleCsrf(b, `webhook-rotate:${webhookId}`) });
      },
      control: { page: () => `webhooks/${targets!.webhookId}`, marker: () => `/webhooks/${targets!.webhookId}/rotate-secret"`, read: 'webhooks:read' },
    },
    // The remaining gaps (console-F): an account renamed and deleted, an account connector edited, a webhook endpoint deleted.
    {
      name: 'rename an account',
      api: 'PATCH /accounts/:account_id',
      perform: async (b) => post(b, `connectors/accounts/${(await connectorTargets()).accountId}/rename`, { csrf_token: consoleCsrf(b, `account-rename:${targets!.accountId}`), name: 'Matrix account' }),
      control: { page: () => `connectors/accounts/${targets!.accountId}`, marker: () => `/connectors/accounts/${targets!.accountId}/rename"`, read: 'connectors:read' },
    },
    {
      name: 'delete an account',
      api: 'DELETE /accounts/:account_id',
      perform: async (b) => {
        const owner = await asOwner();
        const id = `gone-${Math.random().toString(36).slice(2)}`;
        await owner.request(`${consoleUrl}/connectors/accounts`, { form: { csrf_token: consoleCsrf(owner, 'account-create'), id, name: 'To delete' } });
        return post(b, `connectors/accounts/${id}/delete`, { csrf_token: consoleCsrf(b, `account-delete:${id}`) });
      },
      control: { page: () => `connectors/accounts/${targets!.accountId}`, marker: () => `/connectors/accounts/${targets!.accountId}/delete"`, read: 'connectors:read' },
    },
    {
      name: 'edit an account connector',
      api: 'PATCH /account-connectors/:account_connector_id',
      perform: async (b) => {
        const { connectorId } = await connectorTargets();
        const { version } = await server.store.storage.db.selectFrom('account_connectors').select('version').where('id', '=', connectorId).executeTakeFirstOrThrow();
        return post(b, `connectors/account-connectors/${connectorId}/edit`, { csrf_token: consoleCsrf(b, `account-connector-update:${connectorId}`), version: String(version), name: 'Matrix connector', 'config.issuer': 'https://login.example.com' });
      },
      control: { page: () => `connectors/account-connectors/${targets!.connectorId}`, marker: () => `/connectors/account-connectors/${targets!.connectorId}/edit"`, read: 'connectors:read' },
    },
    {
      name: 'delete a webhook endpoint',
      api: 'DELETE /webhooks/:webhook_id',
      perform: async (b) => {
        const owner = await asOwner();
        const hook = await (await owner.request(`${consoleUrl}/webhooks`, { form: { csrf_token: consoleCsrf(owner, 'webhook-create'), url: 'https://hooks.example/gone', event_scope: 'all', enabled: 'yes' } })).text();
        const id = decodeURIComponent(/webhooks\/([^"]+)">Done/.exec(hook)![1]!);
        return post(b, `webhooks/${id}/delete`, { csrf_token: consoleCsrf(b, `webhook-delete:${id}`) });
      },
      control: { page: () => `webhooks/${targets!.webhookId}`, marker: () => `/webhooks/${targets!.webhookId}/delete"`, read: 'webhooks:read' },
    },
    // Settings and branding (settings-pages.ts).
    { name: 'see the settings', api: 'GET /org', perform: (b) => get(b, 'settings') },
    {
      name: 'change the settings',
      api: 'PATCH /org',
      // The form as the page fills it: every setting as stored (the connect origins the connector rows need included).
      perform: async (b) => {
        const org = (await findOrganizationById(server.store.storage.db, seeded.org.id))!;
        const s = org.settings;
        const lifetimes = { code_ttl_seconds: String(s.codeTtlSeconds), access_token_ttl_seconds: String(s.accessTokenTtlSeconds), id_token_ttl_seconds: String(s.idTokenTtlSeconds), refresh_token_ttl_seconds: String(s.refreshTokenTtlSeconds), sso_session_ttl_seconds: String(s.ssoSessionTtlSeconds) };
        const form = { csrf_token: consoleCsrf(b, 'settings-update'), version: String(org.updatedAt), name: org.name, self_registration: s.selfRegistration, connect_target_origins: s.connectTargetOrigins.join('\n'), ...lifetimes };
        return post(b, 'settings', s.consentRequiredByDefault ? { ...form, consent_required_by_default: 'yes' } : form);
      },
      control: { page: () => 'settings', marker: () => `<form method="post" action="${consoleUrl}/settings" novalidate`, read: 'org:read' },
    },
  ];

  /** A registration request waiting for a decision. */
  async function pendingClient(): Promise<string> {
    const registration = { source: 'registration_page' as const, requesterName: null, requesterEmail: 'ann@example.org', requestReason: 'Matrix' };
    return (await seedClient(server.store.storage.db, seeded.org.id, { name: 'Matrix request', registration })).clientId;
  }
  const orgVersion = async (): Promise<number> => (await findOrganizationById(server.store.storage.db, seeded.org.id))!.updatedAt;
  /** A custom scope made through the console by an owner (which drops the process's cached org, as a direct write would not). */
  async function scopeToRemove(): Promise<string> {
    const name = `gone_${Math.random().toString(36).slice(2)}`;
    const { browser: owner } = await staffBrowser(server.store.storage.db, seeded.org.id, 'acme', 'owner');
    await owner.request(`${consoleUrl}/scopes`);
    expect(await post(owner, 'scopes', { csrf_token: consoleCsrf(owner, 'scope-create'), name, description: 'To remove', attributes: '' })).toBe(303);
    return name;
  }

  /** A constituent for one write of the matrix: its version, and on request a consent to `grantTo` or a live session (its reference). */
  async function freshConstituent(options: { grantTo?: string; session?: boolean } = {}): Promise<{ accountId: string; version: number; session: string | null }> {
    const db = server.store.storage.db;
    const { accountId } = await createConstituent(db, systemClock, seeded.org.id, { username: `m-${Math.random().toString(36).slice(2)}` });
    const now = Date.now();
    if (options.grantTo !== undefined) await db.insertInto('consent_grants').values({ org_id: seeded.org.id, account_id: accountId, client_id: options.grantTo, scope: 'openid', created_at: now, updated_at: now }).execute();
    let session: string | null = null;
    if (options.session === true) {
      const idHash = hashSecret(`matrix-session-${accountId}-${now}`);
      await db.insertInto('sso_sessions').values({ id_hash: idHash, org_id: seeded.org.id, account_id: accountId, auth_time: now, created_at: now, expires_at: now + 3_600_000, ended_at: null }).execute();
      session = idHash.slice(0, 16);
    }
    const { updated_at: version } = await db.selectFrom('constituents').select('updated_at').where('org_id', '=', seeded.org.id).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    return { accountId, version, session };
  }

  /** A constituent action of one button: a fresh constituent, the form's token, the control on `shown`'s page. */
  function constituentAction(name: string, api: string, path: string, purpose: string, options: { control?: boolean } = {}): ConsoleAction[] {
    return [
      {
        name,
        api,
        perform: async (b) => {
          const { accountId } = await freshConstituent();
          return post(b, `constituents/${accountId}/${path}`, { csrf_token: consoleCsrf(b, `${purpose}:${accountId}`) });
        },
        ...(options.control === false ? {} : { control: { page: () => `constituents/${shown.accountId}`, marker: () => `action="${consoleUrl}/constituents/${shown.accountId}/${path}"` } }),
      },
    ];
  }


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
    if (control !== undefined && ROLE_PERMISSIONS[c.role].includes(control.read ?? 'clients:read')) {
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
      expect(html.includes(`<a href="${consoleUrl}/registrations"`), role).toBe(ROLE_PERMISSIONS[role].includes('clients:read'));
      expect(html.includes(`<a href="${consoleUrl}/constituents"`), role).toBe(ROLE_PERMISSIONS[role].includes('constituents:read'));
      expect(html.includes(`<a href="${consoleUrl}/audit"`), role).toBe(ROLE_PERMISSIONS[role].includes('audit:read'));
      expect(html.includes(`<a href="${consoleUrl}/settings"`), role).toBe(ROLE_PERMISSIONS[role].includes('org:read'));
      expect(html.includes(`<a href="${consoleUrl}/staff"`), role).toBe(ROLE_PERMISSIONS[role].includes('staff:read'));
      expect(html.includes(`<a href="${consoleUrl}/connectors"`), role).toBe(ROLE_PERMISSIONS[role].includes('connectors:read'));
      expect(html.includes(`<a href="${consoleUrl}/webhooks"`), role).toBe(ROLE_PERMISSIONS[role].includes('webhooks:read'));
    }
  });
});
