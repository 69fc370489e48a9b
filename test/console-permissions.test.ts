import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { MANAGEMENT_ROUTES } from '../src/management-routes.ts';
import { setCustomScope } from '../src/orgs/custom-scopes.ts';
import { findOrganizationById } from '../src/orgs/orgs.ts';
import { ROLE_PERMISSIONS } from '../src/staff/permissions.ts';
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
  readonly control?: { readonly page: (clientId: string) => string; readonly marker: (clientId: string) => string };
}

describe.each(DIALECTS)('the console\'s permission matrix on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    // Before any request, so the process's cached org already holds it.
    await setCustomScope(server.store.storage.db, systemClock, seeded.org.id, 'matrix', { description: 'Matrix', attributes: [] });
    consoleUrl = `${server.url}/o/acme/console`;
  });
  afterAll(async () => {
    await server?.close();
  });

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
    if (control !== undefined && ROLE_PERMISSIONS[c.role].includes('clients:read')) {
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
    }
  });
});
