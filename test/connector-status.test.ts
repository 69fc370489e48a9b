import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { gatehouse, onlyJson } from './helpers/cli.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// Console-free operation (issue 12): account connectors filtered by status per account and across
// the org (cursor paging), GET /api/v2/connector-status, and `gatehouse connectors status` calling
// the same use case from the server's shell. The refresh bookkeeping shows on every connector.

type Json = Record<string, any>;
const HOUR = 3_600_000;

describe.each(DIALECTS)('connector status on %s', (dialect) => {
  let server: TestServer;
  let key: string;
  let otherOrgKey: string;
  const ids: Record<string, string> = {};
  let accounts: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    const db = server.store.storage.db;
    const orgId = (await createOrganization(db, systemClock, { slug: 'acme' })).id;
    key = (await createStaffUser(db, systemClock, orgId, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    const otherId = (await createOrganization(db, systemClock, { slug: 'other' })).id;
    otherOrgKey = (await createStaffUser(db, systemClock, otherId, { email: 'dev@other.example', role: 'developer', withApiKey: true })).apiKey!;
    const app = await api('POST', '/app-connectors', { body: { provider: 'openid-connect', name: 'Upstream', client_id: 'hub', client_secret: 'secret-1', config: { issuer: 'https://id.example' } } });
    expect(app.status, JSON.stringify(app.json)).toBe(201);
    accounts = [(await api('POST', '/accounts', { body: { name: 'One' } })).json!.id, (await api('POST', '/accounts', { body: { name: 'Two' } })).json!.id];
    const connect = async (account: string, name: string, expiresInMs: number | null) =>
      (await api('POST', `/accounts/${account}/connectors`, {
        body: { app_connector_id: app.json!.id, name, ...(expiresInMs === null ? {} : { auth_value: JSON.stringify({ AccessToken: `at-${name}`, RefreshToken: `rt-${name}`, Expires: new Date(Date.now() + expiresInMs).toISOString() }) }) },
      })).json!.id as string;
    ids.soon = await connect(accounts[0]!, 'soon', HOUR);
    ids.later = await connect(accounts[1]!, 'later', 5 * HOUR);
    ids.failing = await connect(accounts[1]!, 'failing', 2 * HOUR);
    ids.gone = await connect(accounts[0]!, 'gone', 2 * HOUR);
    ids.never = await connect(accounts[0]!, 'never', null);
    // What the background refresh leaves behind (refresh-scheduler.test.ts proves it does).
    await db.updateTable('account_connectors').set({ refresh_attempts: 2, last_refresh_error: 'upstream_server_error', last_refresh_error_description: 'answered HTTP 503' }).where('id', '=', ids.failing!).execute();
    await db.updateTable('account_connectors').set({ status: 'needs_reauth', next_refresh_at: null, refresh_attempts: 1, last_refresh_error: 'invalid_grant', last_refresh_error_description: 'grant request is invalid' }).where('id', '=', ids.gone!).execute();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function api(method: string, path: string, options: { body?: unknown; key?: string } = {}) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${options.key === otherOrgKey ? 'other' : 'acme'}:${options.key ?? key}`).toString('base64')}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Json) };
  }

  it('shows the refresh bookkeeping on an account connector: next refresh 15 minutes before expiry, attempts, last error', async () => {
    const soon = (await api('GET', `/account-connectors/${ids.soon}`)).json!;
    expect(Date.parse(soon.next_refresh_at) - Date.parse(soon.access_expires_at)).toBe(-15 * 60_000);
    expect(soon).toMatchObject({ last_refreshed_at: null, last_refresh_error: null, refresh_attempts: 0 });
    expect((await api('GET', `/account-connectors/${ids.failing}`)).json).toMatchObject({ refresh_attempts: 2, last_refresh_error: { code: 'upstream_server_error', description: 'answered HTTP 503' } });
    expect((await api('GET', `/account-connectors/${ids.never}`)).json).toMatchObject({ status: 'unauthenticated', next_refresh_at: null });
  });

  it('filters an account\'s connectors and the org\'s by status, with cursor paging across accounts', async () => {
    const ofOne = await api('GET', `/accounts/${accounts[0]}/connectors?status=needs_reauth`);
    expect(ofOne.json!.data.map((c: Json) => c.id)).toEqual([ids.gone]);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json?: Json } = await api('GET', `/account-connectors?status=authenticated&limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      pages.push(...page.json!.data.map((c: Json) => c.id));
      cursor = page.json!.next_cursor;
    } while (cursor !== null);
    expect(pages).toEqual([ids.soon, ids.later, ids.failing]);
    expect((await api('GET', '/account-connectors')).json!.data).toHaveLength(5);
    // Another org's key sees none of them.
    expect((await api('GET', '/account-connectors', { key: otherOrgKey })).json!.data).toEqual([]);
  });

  it('refuses a status that is none with a 400 naming the field', async () => {
    const refused = await api('GET', '/account-connectors?status=expired');
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('status');
    expect((await api('GET', `/accounts/${accounts[0]}/connectors?status=`)).status).toBe(400);
  });

  it('summarises the org: counts by status, next refreshes soonest first, the failing ones', async () => {
    const report = (await api('GET', '/connector-status')).json!;
    expect(report.counts).toEqual({ unauthenticated: 1, authenticated: 3, needs_reauth: 1, disabled: 0 });
    expect(report.next_refreshes.map((c: Json) => c.id)).toEqual([ids.soon, ids.failing, ids.later]);
    expect(report.failing.map((c: Json) => c.id).sort()).toEqual([ids.failing, ids.gone].sort());
    expect(JSON.stringify(report)).not.toContain('rt-');
  });

  it('answers `gatehouse connectors status --org acme --json` with the same report, and a readable one without --json', async () => {
    const env = { ...server.store.env };
    const json = onlyJson(await gatehouse(['connectors', 'status', '--org', 'acme', '--json'], env));
    const report = (await api('GET', '/connector-status')).json!;
    expect(json.counts).toEqual(report.counts);
    expect((json.next_refreshes as Json[]).map((c) => c.id)).toEqual(report.next_refreshes.map((c: Json) => c.id));
    expect((json.failing as Json[]).find((c) => c.id === ids.gone)).toMatchObject({ status: 'needs_reauth', last_refresh_error: { code: 'invalid_grant' } });
    const text = await gatehouse(['connectors', 'status', '--org', 'acme'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('needs_reauth     1');
    expect(text.stdout).toContain(`${ids.gone}  needs_reauth  invalid_grant, 1 failed in a row`);
    expect(text.stdout).not.toContain('rt-');
    const unknown = await gatehouse(['connectors', 'status', '--org', 'nope', '--json'], env);
    expect(unknown.code).toBe(1);
    const badLimit = await gatehouse(['connectors', 'status', '--org', 'acme', '--limit', '0'], env);
    expect(badLimit.code).toBe(2);
  }, 60_000);
});
