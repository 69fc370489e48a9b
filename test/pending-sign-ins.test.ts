import type { FastifyInstance } from 'fastify';
import { CompiledQuery, sql, type Kysely, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { createClient } from '../src/clients/clients.ts';
import { loadConfig } from '../src/config/config.ts';
import type { Db } from '../src/db/database.ts';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import { createLogger } from '../src/http/logging.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { findFreePort } from '../src/lib/free-port.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createPendingSignIns } from '../src/oauth/sessions/pending-sign-ins.ts';
import { evictInteractionsOfNetwork, evictInteractionsOfOrg, networkHasInteractionsPast, orgHasInteractionsPast } from '../src/oauth/sessions/sessions.repository.ts';
import { TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, PASSWORD, REDIRECT_URI, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// Issue 9 item 3: every GET /authorize without a session stored a pending sign-in (~3.3 KB at
// most, 17 KB with a state of control characters) for half an hour, without any limit.

/** A clock that moves 1 ms at each reading: every stored request is newer than the one before. */
function tickingClock(): () => number {
  let now = Date.now();
  return () => ++now;
}

interface Started {
  readonly browser: TestBrowser;
  readonly interactionId: string;
  readonly loginUrl: string;
}

describe.each(DIALECTS)('pending sign-ins on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let clientId: string;
  let issuer: string;

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: tickingClock() });
    const db = server.store.storage.db;
    const seeded = await seedOrg(db, 'acme');
    orgId = seeded.org.id;
    clientId = (await seedClient(db, orgId)).clientId;
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const authorizeUrl = (params: Record<string, string> = {}) =>
    `${issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st', ...params })}`;

  /** GET /authorize from `ip` in `browser` (a new one by default): a pending sign-in and its page. */
  async function startSignIn(ip: string, options: { readonly browser?: TestBrowser; readonly params?: Record<string, string> } = {}): Promise<Started> {
    const browser = options.browser ?? new TestBrowser({ headers: { 'x-forwarded-for': ip } });
    const response = await browser.request(authorizeUrl(options.params));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.pathname).toBe('/o/acme/login');
    return { browser, interactionId: location.searchParams.get('interaction')!, loginUrl: location.href };
  }

  async function flood(ips: (i: number) => string, count: number): Promise<Started[]> {
    const started: Started[] = [];
    for (let i = 0; i < count; i++) started.push(await startSignIn(ips(i)));
    return started;
  }

  /** How many of these pending sign-ins are still stored. */
  async function stored(started: readonly Started[]): Promise<number> {
    const rows = await server.store.storage.db.selectFrom('authorization_requests').select('id').where('id', 'in', started.map((s) => s.interactionId)).execute();
    return rows.length;
  }

  async function pendingOfOrg(): Promise<number> {
    const row = await server.store.storage.db.selectFrom('authorization_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('keeps the newest 50 pending sign-ins of one IPv4 address and evicts its oldest', async () => {
    const other = await startSignIn('198.51.100.8');
    const started = await flood(() => '198.51.100.7', 60);
    expect(await stored(started)).toBe(50);
    expect(await stored(started.slice(10))).toBe(50);
    // Another address's request is not its to evict.
    expect(await stored([other])).toBe(1);
  });

  it('counts an IPv6 /64 as one network, whichever of its addresses a request comes from', async () => {
    const neighbour = await startSignIn('2001:db8:7:2::1');
    const started = await flood((i) => `2001:db8:7:1:${(i + 1).toString(16)}::${((i * 7919) % 0x10000).toString(16)}`, 60);
    expect(await stored(started)).toBe(50);
    expect(await stored(started.slice(10))).toBe(50);
    expect(await stored([neighbour])).toBe(1);
  });

  it('lets several tabs of one browser sign in at once', async () => {
    const browser = new TestBrowser({ headers: { 'x-forwarded-for': '198.51.100.20' } });
    // The first tab gets the browser its binding cookie; three more open at once.
    const first = await startSignIn('198.51.100.20', { browser, params: { state: 'tab-1' } });
    const tabs = [first, ...(await Promise.all(['tab-2', 'tab-3', 'tab-4'].map((state) => startSignIn('198.51.100.20', { browser, params: { state } }))))];
    // Completed newest first: signing in on one tab leaves the others pending.
    for (const [index, tab] of [...tabs.entries()].reverse()) {
      const callback = await completeSignIn(tab);
      expect(callback.searchParams.get('code')).toBeTruthy();
      expect(callback.searchParams.get('state')).toBe(`tab-${index + 1}`);
    }
  });

  it('lets the newest requests of a flooded network sign in, while its oldest page says it expired', async () => {
    const ip = '198.51.100.30';
    const before = await startSignIn(ip);
    await flood(() => ip, 60);
    const newest = await startSignIn(ip);
    const callback = await completeSignIn(newest);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const evicted = await before.browser.request(before.loginUrl);
    expect(evicted.status).toBe(400);
    expect(await evicted.text()).toContain('This page has expired');
  });

  describe('stores a bounded request', () => {
    async function redirectedError(params: Record<string, string>): Promise<URLSearchParams> {
      const pending = await pendingOfOrg();
      const response = await new TestBrowser({ headers: { 'x-forwarded-for': '198.51.100.40' } }).request(authorizeUrl(params));
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT_URI);
      expect(await pendingOfOrg()).toBe(pending);
      return location.searchParams;
    }

    it.each([
      ['a state over 2048 bytes', { state: 'a'.repeat(2049) }, 'state'],
      ['a state of 683 characters, over 2048 bytes in UTF-8', { state: '\u20ac'.repeat(683) }, 'state'],
      ['a state of control characters, over 2048 bytes as stored', { state: '\u0001'.repeat(400) }, 'state'],
      ['a nonce over 512 bytes', { nonce: 'n'.repeat(513) }, 'nonce'],
      ['a nonce of 257 characters, over 512 bytes in UTF-8', { nonce: '\u00e9'.repeat(257) }, 'nonce'],
    ])('%s is invalid_request, sent back to the redirect URI', async (_name, params, parameter) => {
      const error = await redirectedError(params);
      expect(error.get('error')).toBe('invalid_request');
      expect(error.get('error_description')).toContain(parameter);
      expect(error.get('code')).toBeNull();
    });

    it('stores a maximal request in ~3.3 KB, without the client id twice', async () => {
      const { interactionId } = await startSignIn('198.51.100.41', {
        params: { state: 's'.repeat(2048), nonce: 'n'.repeat(512), login_hint: `${'h'.repeat(244)}@example.org`, code_challenge: CHALLENGE, code_challenge_method: 'S256', prompt: 'login consent', max_age: '9999999999' },
      });
      const row = await server.store.storage.db.selectFrom('authorization_requests').selectAll().where('id', '=', interactionId).executeTakeFirstOrThrow();
      const bytes = Object.values(row).reduce<number>((sum, value) => sum + (typeof value === 'string' ? Buffer.byteLength(value) : 8), 0);
      expect(bytes).toBeLessThanOrEqual(3300);
      expect(JSON.parse(row.params)).not.toHaveProperty('clientId');
    });

    it('leaves out a login_hint too long to name an account, and uses one that fits', async () => {
      const long = await startSignIn('198.51.100.42', { params: { login_hint: `${'h'.repeat(245)}@example.org` } });
      const longPage = await (await long.browser.request(long.loginUrl)).text();
      expect(longPage).toContain('name="username" autocomplete="username"');
      expect(longPage).not.toContain('hhhh');
      const fits = await startSignIn('198.51.100.42', { params: { login_hint: 'alice@example.org' } });
      expect(await (await fits.browser.request(fits.loginUrl)).text()).toContain('value="alice@example.org"');
    });
  });

  /** Signs in as alice on the request's page (and allows on the consent page): the callback URL. */
  async function completeSignIn(started: Started): Promise<URL> {
    const page = await started.browser.request(started.loginUrl);
    expect(page.status).toBe(200);
    let step = await started.browser.submit(await page.text(), server.url, { username: 'alice', password: PASSWORD });
    if (step.url.startsWith(server.url)) {
      const html = await step.response.text();
      expect(html).toContain('name="decision"');
      step = await started.browser.submit(html, server.url, { decision: 'allow' });
    }
    const callback = new URL(step.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    return callback;
  }
});

describe.each(DIALECTS)('the ceiling of pending sign-ins per organization on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: tickingClock(), env: { PENDING_SIGN_INS_PER_ORG: '30' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps an organization\'s newest requests from many networks, evicting its oldest, and never another organization\'s', async () => {
    const db = server.store.storage.db;
    const flooded = await seedOrg(db, 'flooded');
    const quiet = await seedOrg(db, 'quiet');
    const floodedClient = (await seedClient(db, flooded.org.id)).clientId;
    const quietClient = (await seedClient(db, quiet.org.id)).clientId;
    const start = async (slug: string, client: string, ip: string): Promise<{ browser: TestBrowser; id: string; loginUrl: string }> => {
      const browser = new TestBrowser({ headers: { 'x-forwarded-for': ip } });
      const response = await browser.request(`${server.url}/o/${slug}/authorize?${new URLSearchParams({ response_type: 'code', client_id: client, redirect_uri: REDIRECT_URI, scope: 'openid' })}`);
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      return { browser, id: location.searchParams.get('interaction')!, loginUrl: location.href };
    };
    const count = async (orgId: string): Promise<number> =>
      Number((await db.selectFrom('authorization_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow()).n);

    const quietOne = await start('quiet', quietClient, '192.0.2.200');
    const started = [];
    for (let i = 1; i <= 40; i++) started.push(await start('flooded', floodedClient, `192.0.2.${i}`));
    expect(await count(flooded.org.id)).toBe(30);
    const kept = await db.selectFrom('authorization_requests').select('id').where('org_id', '=', flooded.org.id).execute();
    expect(kept.map((r) => r.id).sort()).toEqual(started.slice(10).map((s) => s.id).sort());
    expect(await db.selectFrom('authorization_requests').select('id').where('org_id', '=', quiet.org.id).execute()).toEqual([{ id: quietOne.id }]);

    // The newest still signs in.
    const newest = started.at(-1)!;
    const page = await newest.browser.request(newest.loginUrl);
    expect(page.status).toBe(200);
    let step = await newest.browser.submit(await page.text(), server.url, { username: 'alice', password: PASSWORD });
    if (step.url.startsWith(server.url)) step = await newest.browser.submit(await step.response.text(), server.url, { decision: 'allow' });
    expect(new URL(step.url).searchParams.get('code')).toBeTruthy();
  });
});

// Regression (issue 9 review): a GET /authorize without a session made two writes, its INSERT and
// the network's eviction (DELETE … IN (subquery)), which under the limit deleted nothing but on
// SQLite took the write lock (and a group commit) all the same.
describe.each(DIALECTS)('GET /authorize without a session on %s', (dialect) => {
  let base: TestStore;
  let server: TestServer;
  const writes: string[] = [];
  beforeAll(async () => {
    base = await createTestStore(dialect);
    // Every statement Kysely builds (the pending sign-in's are not precompiled), by kind.
    const counter: KyselyPlugin = {
      transformQuery: ({ node }) => {
        if (['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode'].includes(node.kind)) writes.push(node.kind);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const store: TestStore = { ...base, storage: { ...base.storage, db: base.storage.db.withPlugin(counter) } };
    server = await startTestServer(dialect, { store, clock: tickingClock(), env: { PENDING_SIGN_INS_PER_NETWORK: '10' } });
  });
  afterAll(async () => {
    await server?.close();
    await base?.dispose();
  });

  it('writes one statement from a network under its limit, its pending sign-in; the eviction only past it', async () => {
    const db = base.storage.db;
    const seeded = await seedOrg(db, 'acme');
    const { clientId } = await seedClient(db, seeded.org.id);
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st' });
    const start = async (): Promise<string[]> => {
      writes.length = 0;
      const response = await fetch(`${server.url}/o/acme/authorize?${query}`, { headers: { 'x-forwarded-for': '198.51.100.5' }, redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(new URL(response.headers.get('location')!).pathname).toBe('/o/acme/login');
      return [...writes];
    };
    for (let i = 0; i < 10; i++) expect(await start()).toEqual(['InsertQueryNode']);
    expect(await start()).toEqual(['InsertQueryNode', 'DeleteQueryNode']);
    const count = await db.selectFrom('authorization_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', seeded.org.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(10);
  });
});

describe.each(DIALECTS)('pending sign-ins of several server processes on one %s store', (dialect) => {
  let store: TestStore;
  const apps: FastifyInstance[] = [];
  const urls: string[] = [];
  beforeAll(async () => {
    store = await createTestStore(dialect);
    // Processes of one installation share the root key, hence the pseudonyms of networks.
    const rootKey = randomBytes(32);
    for (let i = 0; i < 2; i++) {
      const port = await findFreePort('127.0.0.1');
      const app = buildApp(loadConfig({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }), { storage: store.storage, logger: createLogger({ level: 'silent' }), clock: Date.now, sealer: createSealer(rootKey) });
      await app.listen({ port, host: '127.0.0.1' });
      apps.push(app);
      urls.push(`http://127.0.0.1:${port}`);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await store?.dispose();
  });

  it('share the limit of a network, and a burst of concurrent requests gets no error, at most a few rows over until the next request', async () => {
    const seeded = await seedOrg(store.storage.db, 'acme');
    const { clientId } = await seedClient(store.storage.db, seeded.org.id);
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid' });
    const start = async (i: number): Promise<number> => {
      const response = await fetch(`${urls[i % 2]}/o/acme/authorize?${query}`, { headers: { 'x-forwarded-for': '198.51.100.77' }, redirect: 'manual' });
      return response.status;
    };
    const count = async (): Promise<number> =>
      Number((await store.storage.db.selectFrom('authorization_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', seeded.org.id).executeTakeFirstOrThrow()).n);

    for (let i = 0; i < 60; i++) expect(await start(i)).toBe(303);
    expect(await count()).toBe(50);
    const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => start(i)));
    expect(burst.every((status) => status === 303)).toBe(true);
    expect(await count()).toBeLessThanOrEqual(60);
    expect(await start(0)).toBe(303);
    expect(await count()).toBe(50);
  });
});

describe.each(DIALECTS)('migration 0009_pending_sign_in_limits and its evictions on %s', (dialect) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.dispose();
    store = undefined;
  });

  const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
  const clock = (): number => NOW;

  it('keeps the requests pending across it, up and down', async () => {
    store = await createTestStore(dialect, { migrate: false });
    const migrator = migratorFor(store.storage);
    expect((await migrator.migrateTo('0008_expiry_indexes')).error).toBeUndefined();
    const db = store.storage.db;
    const org = await createOrganization(db, clock, { slug: 'acme', name: 'Acme' });
    const raw = db as unknown as Kysely<any>;
    // Written as that schema had it: createClient writes the columns of today's.
    const client = { clientId: 'app' };
    await raw.insertInto('clients').values({ id: client.clientId, org_id: org.id, name: 'App', client_type: 'confidential', secret_hash: 'h', redirect_uris: '["https://app.example/cb"]', post_logout_redirect_uris: '[]', grant_types: '["authorization_code","refresh_token"]', scope: 'openid', consent_required: 1, code_ttl_seconds: null, status: 'active', created_at: NOW, updated_at: NOW }).execute();
    const row = { org_id: org.id, client_id: client.clientId, params: '{}', browser_binding_hash: 'b', csrf_token: 'c', account_id: null, auth_time: null, created_at: NOW, expires_at: NOW + 60_000 };
    await raw.insertInto('authorization_requests').values({ id: 'before', ...row }).execute();

    expect((await migrateToLatest(store.storage)).applied).toContain('0009_pending_sign_in_limits');
    expect(await raw.selectFrom('authorization_requests').select(['id', 'client_network']).execute()).toEqual([{ id: 'before', client_network: '' }]);
    await raw.insertInto('authorization_requests').values({ id: 'after', ...row, client_network: 'net' }).execute();
    expect(await evictInteractionsOfNetwork(db, org.id, 'net', 1, 1000)).toBe(0);
    expect(await evictInteractionsOfOrg(db, org.id, 2, 1000)).toBe(0);

    expect((await migrator.migrateTo('0008_expiry_indexes')).error).toBeUndefined();
    const down = await raw.selectFrom('authorization_requests').selectAll().orderBy('id').execute();
    expect(down.map((r) => r.id)).toEqual(['after', 'before']);
    expect(down[0]).not.toHaveProperty('client_network');
    expect((await migrateToLatest(store.storage)).applied).toEqual(['0009_pending_sign_in_limits', '0010_client_auth_networks', '0011_vault_data_keys', '0012_connectors', '0013_connector_refresh_lease', '0014_connector_signin_tokens', '0015_connector_auth_attempts', '0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
  });

  it('skips an eviction that PostgreSQL aborts in a deadlock, keeping the request; any other failure is one', async () => {
    store = await createTestStore(dialect);
    const db = store.storage.db;
    const org = await createOrganization(db, clock, { slug: 'acme', name: 'Acme' });
    const client = await createClient(db, clock, org.id, { name: 'App', clientType: 'confidential', redirectUris: ['https://app.example/cb'], consentRequired: true });
    const failingDeletes = (code: string): KyselyPlugin => ({
      transformQuery: ({ node }) => {
        if (node.kind === 'DeleteQueryNode') throw Object.assign(new Error('deadlock detected'), { code });
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const pending = createPendingSignIns({ perNetwork: 1, perOrg: 10 }, (ip) => `net:${ip}`);
    const row = (id: string) => ({ id, orgId: org.id, clientId: client.clientId, request: {}, browserBindingHash: 'b', csrfToken: 'c', accountId: null, authTime: null, createdAt: NOW, expiresAt: NOW + 60_000 });
    // Under the limit, no eviction is sent; the next request is past it, and its eviction fails.
    await pending.store(db, row('first'), '192.0.2.1');
    await pending.store(db.withPlugin(failingDeletes('40P01')), row('kept'), '192.0.2.1');
    expect(await db.selectFrom('authorization_requests').select(['id', 'client_network']).orderBy('id').execute()).toEqual([
      { id: 'first', client_network: 'net:192.0.2.1' },
      { id: 'kept', client_network: 'net:192.0.2.1' },
    ]);
    await expect(pending.store(db.withPlugin(failingDeletes('XX000')), row('other'), '192.0.2.1')).rejects.toThrow('deadlock detected');
  });

  it('checks and evicts through an index, newest first, without reading or sorting the table', async () => {
    store = await createTestStore(dialect);
    const plans = [
      ['authorization_requests_network_idx', await planOf(store, (d) => networkHasInteractionsPast(d, 'org_x', 'net', 50))],
      ['authorization_requests_network_idx', await planOf(store, (d) => evictInteractionsOfNetwork(d, 'org_x', 'net', 50, 1000))],
      ['authorization_requests_org_expires_idx', await planOf(store, (d) => orgHasInteractionsPast(d, 'org_x', 10_000))],
      ['authorization_requests_org_expires_idx', await planOf(store, (d) => evictInteractionsOfOrg(d, 'org_x', 10_000, 1000))],
    ] as const;
    for (const [index, plan] of plans) {
      expect(plan.indexes).toContain(index);
      expect(plan.scansOrSorts).toEqual([]);
    }
  });
});

interface Plan {
  readonly indexes: string[];
  /** A step that reads every row, or sorts them. */
  readonly scansOrSorts: string[];
}

interface PgPlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly Plans?: PgPlanNode[];
}

/**
 * The plan of the one statement `run` sends, as in admin-indexes.test.ts: PostgreSQL is told to
 * avoid sequential scans and sorts, so that on an empty table it still picks an index that fits.
 */
async function planOf(store: TestStore, run: (db: Db) => Promise<unknown>): Promise<Plan> {
  const db = store.storage.db;
  const nodes: RootOperationNode[] = [];
  const capture: KyselyPlugin = {
    transformQuery: ({ node }) => {
      nodes.push(node);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await run(db.withPlugin(capture));
  // The statement, not the subquery the plugin also sees while it is built (a lone SELECT is the statement).
  const statements = nodes.length === 1 ? nodes : nodes.filter((node) => node.kind !== 'SelectQueryNode');
  expect(statements).toHaveLength(1);
  const query = db.getExecutor().compileQuery(statements[0]!, { queryId: 'plan' });
  if (store.storage.dialect === 'sqlite') {
    const rows = (await db.executeQuery(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]))).rows as Array<{ detail: string }>;
    return {
      indexes: rows.flatMap((r) => /USING (?:COVERING )?INDEX (\w+)/.exec(r.detail)?.[1] ?? []),
      scansOrSorts: rows.map((r) => r.detail).filter((d) => /^SCAN |TEMP B-TREE/.test(d)),
    };
  }
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    await sql`set local enable_sort = off`.execute(trx);
    const rows = (await trx.executeQuery(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]))).rows as Array<{ 'QUERY PLAN': Array<{ Plan: PgPlanNode }> }>;
    const found: PgPlanNode[] = [];
    const walk = (node: PgPlanNode): void => {
      found.push(node);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(rows[0]!['QUERY PLAN'][0]!.Plan);
    return {
      indexes: found.flatMap((n) => n['Index Name'] ?? []),
      scansOrSorts: found.map((n) => n['Node Type']).filter((t) => t === 'Seq Scan' || t.endsWith('Sort')),
    };
  });
}
