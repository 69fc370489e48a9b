import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { insertSsoSession } from '../src/oauth/sessions/sessions.repository.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { countedStore, QueryCounter, staffBrowser } from './console-helpers.ts';

// The overview's charts beyond the sign-ins (overview-page.ts): live SSO sessions by the day they
// began (oauth/activity-admin.ts), clients by status (clients/client-admin.ts), account
// connectors by status (connectors/refresh/connector-status-admin.ts): each one grouped statement,
// its numbers in a table beside it, on both stores.

const DAY_MS = 86_400_000;

describe.each(DIALECTS)('the console overview\'s charts on %s', (dialect) => {
  let store: TestStore;
  let server: TestServer;
  let seeded: SeededOrg;
  let other: SeededOrg;
  let consoleUrl: string;
  const counter = new QueryCounter();
  let sequence = 0;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter) });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    other = await seedOrg(server.store.storage.db, 'other');
    consoleUrl = `${server.url}/o/acme/console`;
    for (const org of [seeded, other]) {
      await server.store.storage.db.insertInto('connector_accounts').values({ org_id: org.org.id, id: 'acc_1', name: 'Account', created_at: 1, updated_at: 1 }).execute();
      await server.store.storage.db.insertInto('app_connectors').values({ org_id: org.org.id, id: 'apc_1', provider: 'test', name: 'App', created_at: 1, updated_at: 1 } as never).execute();
    }
  });
  afterAll(async () => {
    await server?.close();
    await store?.dispose();
  });

  const db = () => server.store.storage.db;

  async function session(orgId: string, options: { readonly begunDaysAgo: number; readonly ended?: boolean; readonly expired?: boolean }): Promise<void> {
    const createdAt = Date.now() - options.begunDaysAgo * DAY_MS;
    await insertSsoSession(db(), { idHash: `h${sequence++}-${Math.random()}`, orgId, accountId: 'a', authTime: createdAt, createdAt, expiresAt: options.expired ? Date.now() - 1000 : Date.now() + 40 * DAY_MS });
    if (options.ended) await db().updateTable('sso_sessions').set({ ended_at: Date.now() }).where('created_at', '=', createdAt).where('org_id', '=', orgId).execute();
  }

  async function connector(orgId: string, status: 'unauthenticated' | 'authenticated' | 'needs_reauth' | 'disabled'): Promise<void> {
    await db()
      .insertInto('account_connectors')
      .values({ org_id: orgId, id: `acn_${sequence++}`, account_id: 'acc_1', app_connector_id: 'apc_1', name: 'C', status, created_at: 1, updated_at: 1 } as never)
      .execute();
  }

  async function overview(): Promise<string> {
    const { browser } = await staffBrowser(db(), seeded.org.id, 'acme', 'read_only');
    const response = await browser.request(`${consoleUrl}/`);
    expect(response.status).toBe(200);
    return response.text();
  }

  /** The rows of the table of the chart `id`, as [heading, value] pairs. */
  function tableOf(html: string, id: string): Array<[string, string]> {
    const start = html.indexOf(`<svg class="chart" id="${id}"`);
    const table = html.slice(html.indexOf('<tbody>', start), html.indexOf('</tbody>', start));
    return [...table.matchAll(/<tr><th scope="row">([^<]*)<\/th><td class="num">(\d+)<\/td><\/tr>/g)].map((m) => [m[1]!, m[2]!]);
  }

  it('counts live SSO sessions per day they began: not ended, not expired, of this org only; older ones said apart', async () => {
    await session(seeded.org.id, { begunDaysAgo: 0 });
    await session(seeded.org.id, { begunDaysAgo: 0 });
    await session(seeded.org.id, { begunDaysAgo: 2 });
    await session(seeded.org.id, { begunDaysAgo: 20 });
    await session(seeded.org.id, { begunDaysAgo: 0, ended: true });
    await session(seeded.org.id, { begunDaysAgo: 1, expired: true });
    await session(other.org.id, { begunDaysAgo: 0 });
    const html = await overview();
    expect(html).toContain('<p class="stat"><strong>4</strong> active now (1 begun before the days shown)</p>');
    const rows = tableOf(html, 'sessions-chart');
    expect(rows).toHaveLength(14);
    const day = (ago: number) => new Date(Date.now() - ago * DAY_MS).toISOString().slice(0, 10);
    expect(rows.at(-1)).toEqual([day(0), '2']);
    expect(rows.at(-2)).toEqual([day(1), '0']);
    expect(rows.at(-3)).toEqual([day(2), '1']);
    expect(html).toMatch(/<svg class="chart" id="sessions-chart"[^>]*role="img" aria-labelledby="sessions-chart-title sessions-chart-desc"/);
    expect(html).toContain('<desc id="sessions-chart-desc">4 single sign-on sessions are active now, 1 of them begun before ');
  });

  it('counts clients by status, pending first, and connectors by status, of this org only', async () => {
    await seedClient(db(), seeded.org.id, { name: 'Live' });
    for (const status of ['pending', 'pending', 'suspended', 'rejected'] as const) {
      const { clientId } = await seedClient(db(), seeded.org.id, { name: status });
      await db().updateTable('clients').set({ status }).where('id', '=', clientId).execute();
    }
    const { clientId: elsewhere } = await seedClient(db(), other.org.id, { name: 'Elsewhere' });
    await db().updateTable('clients').set({ status: 'pending' }).where('id', '=', elsewhere).execute();
    for (const status of ['authenticated', 'authenticated', 'authenticated', 'needs_reauth', 'disabled'] as const) await connector(seeded.org.id, status);
    await connector(other.org.id, 'needs_reauth');
    const html = await overview();
    expect(html).toContain('<p class="stat"><strong>2</strong> pending approval</p>');
    expect(tableOf(html, 'clients-chart')).toEqual([['Pending approval', '2'], ['Active', '1'], ['Suspended', '1'], ['Rejected', '1']]);
    expect(html).toContain('<desc id="clients-chart-desc">2 pending approval, 1 active, 1 suspended, 1 rejected.</desc>');
    expect(tableOf(html, 'connectors-chart')).toEqual([['Not connected', '0'], ['Connected', '3'], ['Needs reconnecting', '1'], ['Disabled', '1']]);
  });

  it('reads the same number of statements with one row of each and with many', async () => {
    const { browser } = await staffBrowser(db(), other.org.id, 'other', 'read_only');
    const measure = async (): Promise<number> => {
      await browser.request(`${server.url}/o/other/console/`);
      counter.count = 0;
      const response = await browser.request(`${server.url}/o/other/console/`);
      expect(response.status).toBe(200);
      return counter.count;
    };
    const few = await measure();
    for (let i = 0; i < 25; i++) {
      await session(other.org.id, { begunDaysAgo: i % 16 });
      await connector(other.org.id, i % 2 === 0 ? 'authenticated' : 'unauthenticated');
      await seedClient(db(), other.org.id, { name: `Bulk ${i}` });
    }
    expect(await measure()).toBe(few);
    // The session, the sign-ins, the live sessions, the clients and the connectors: one each.
    expect(few).toBe(5);
  });
});
