import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { insertGrantCredentials } from '../src/oauth/credentials/credentials.repository.ts';
import type { IssuingGrant } from '../src/oauth/credentials/stored-credentials.ts';
import { purgeExpired } from '../src/oauth/purge.ts';
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
  /** A client of each org, the tokens' (a foreign key). */
  const tokenClient = new Map<string, string>();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter) });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    other = await seedOrg(server.store.storage.db, 'other');
    consoleUrl = `${server.url}/o/acme/console`;
    for (const org of [seeded, other]) {
      tokenClient.set(org.org.id, (await seedClient(server.store.storage.db, org.org.id, { name: 'Token holder' })).clientId);
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

  /** An access token as the token endpoint stores it (issue.ts), `issuedDaysAgo`, living an hour. */
  async function accessToken(orgId: string, options: { readonly grantType: IssuingGrant | null; readonly issuedDaysAgo: number }): Promise<void> {
    const createdAt = Date.now() - options.issuedDaysAgo * DAY_MS;
    const id = `at_${sequence++}_${Math.random().toString(36).slice(2)}`;
    await insertGrantCredentials(db(), { access: { id, hash: `hash-${id}`, orgId, clientId: tokenClient.get(orgId)!, familyId: null, accountId: null, scope: 'openid', createdAt, expiresAt: createdAt + 3_600_000, grantType: options.grantType } });
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

  it('counts access tokens issued per day and grant: those the purge deleted and those still stored, each once, of this org only', async () => {
    const day = (ago: number) => new Date(Date.now() - ago * DAY_MS).toISOString().slice(0, 10);
    // Expired (issued days ago): the purge deletes them and counts them.
    for (const grantType of ['authorization_code', 'authorization_code', 'refresh_token', 'client_credentials'] as const) await accessToken(seeded.org.id, { grantType, issuedDaysAgo: 3 });
    await accessToken(seeded.org.id, { grantType: null, issuedDaysAgo: 3 });
    await accessToken(other.org.id, { grantType: 'authorization_code', issuedDaysAgo: 3 });
    await accessToken(seeded.org.id, { grantType: 'client_credentials', issuedDaysAgo: 30 });
    // Live (issued now): still stored.
    await accessToken(seeded.org.id, { grantType: 'refresh_token', issuedDaysAgo: 0 });
    await accessToken(seeded.org.id, { grantType: 'client_credentials', issuedDaysAgo: 0 });
    const before = await overview();
    const row = (html: string, date: string) => new RegExp(`<tr><th scope="row">${date}</th><td class="num">(\\d+)</td><td class="num">(\\d+)</td><td class="num">(\\d+)</td></tr>`).exec(html.slice(html.indexOf('id="tokens-chart"')))?.slice(1);
    expect(row(before, day(3))).toEqual(['2', '1', '1']);
    expect(row(before, day(0))).toEqual(['0', '1', '1']);
    // Twice, as two processes would: the rows counted are gone, nothing is counted twice.
    expect((await purgeExpired(db(), systemClock)).access_tokens).toBeGreaterThanOrEqual(6);
    await purgeExpired(db(), systemClock);
    expect(await db().selectFrom('access_tokens').select('id').where('org_id', '=', seeded.org.id).where('created_at', '<', Date.now() - DAY_MS).execute()).toEqual([]);
    const after = await overview();
    expect(row(after, day(3))).toEqual(['2', '1', '1']);
    expect(row(after, day(0))).toEqual(['0', '1', '1']);
    expect(after).toMatch(/<svg class="chart" id="tokens-chart"[^>]*role="img" aria-labelledby="tokens-chart-title tokens-chart-desc"/);
    expect(after).toContain('<desc id="tokens-chart-desc">2 access tokens issued for authorization codes, 2 for refresh tokens and 2 for client credentials from ');
  });

  it('tags the tokens of a real token request with their grant (client_credentials)', async () => {
    const { clientId, clientSecret } = await seedClient(db(), seeded.org.id, { name: 'Sync', grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], scope: 'sync' } as never);
    const response = await fetch(`${server.url}/o/acme/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret!)}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    const stored = await db().selectFrom('access_tokens').select('grant_type').where('client_id', '=', clientId).execute();
    expect(stored).toEqual([{ grant_type: 'client_credentials' }]);
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
    // Active: 'Live', and the token tests' two (the tokens' holder, 'Sync').
    expect(tableOf(html, 'clients-chart')).toEqual([['Pending approval', '2'], ['Active', '3'], ['Suspended', '1'], ['Rejected', '1']]);
    expect(html).toContain('<desc id="clients-chart-desc">2 pending approval, 3 active, 1 suspended, 1 rejected.</desc>');
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
      await accessToken(other.org.id, { grantType: (['authorization_code', 'refresh_token', 'client_credentials'] as const)[i % 3]!, issuedDaysAgo: i % 14 });
    }
    await purgeExpired(db(), () => Date.now() + 2 * DAY_MS);
    expect(await measure()).toBe(few);
    // The session, the sign-ins, the tokens, the live sessions, the clients and the connectors: one each.
    expect(few).toBe(6);
  });
});
