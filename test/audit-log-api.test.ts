import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/orgs/orgs.ts';
import { recordAudit } from '../src/audit/audit.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const MINUTE = 60_000;
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();

/** Issue 9 item 15: who is behind an audited key, and the time filters of GET /api/v2/audit. */
describe.each(DIALECTS)('the audit log API on %s', (dialect) => {
  let server: TestServer;
  let now = T0;
  let orgId: string;
  let owner: { userId: string; key: string; keyId: string };
  let ops: { userId: string; key: string; keyId: string };

  const basic = (key: string) => `Basic ${Buffer.from(`${orgId}:${key}`).toString('base64')}`;
  async function api(method: string, path: string, authorization: string, body?: unknown) {
    const response = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  }
  async function keyIdOf(userId: string): Promise<string> {
    return (await api('GET', `/v2/staff/${userId}/api-keys`, basic(owner.key))).json.data[0].id as string;
  }

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: () => now });
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, () => now, { slug: 'acme', name: 'Acme' })).id;
    const o = await createStaffUser(db, () => now, orgId, { email: 'owner@acme.example', name: 'Olive Owner', role: 'owner', withApiKey: true });
    const s = await createStaffUser(db, () => now, orgId, { email: 'ops@acme.example', role: 'admin', withApiKey: true });
    owner = { userId: o.userId, key: o.apiKey!, keyId: '' };
    ops = { userId: s.userId, key: s.apiKey!, keyId: '' };
    owner.keyId = await keyIdOf(owner.userId);
    ops.keyId = await keyIdOf(ops.userId);

    // Minute 1: the owner's key; minute 2: the admin's key opens an API v1 session, used at 2.5;
    // minute 3: the owner signs in to the staff pages; minute 4: an anonymous event; 4.5: the CLI.
    now = T0 + 1 * MINUTE;
    expect((await api('PATCH', '/v2/org', basic(owner.key), { name: 'Acme Charity' })).status).toBe(200);
    now = T0 + 2 * MINUTE;
    const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: 'acme', api_key: ops.key }) });
    const { userSessionId } = (await login.json()) as { userSessionId: string };
    now = T0 + 2.5 * MINUTE;
    expect((await api('PATCH', '/v2/org', `Session ${userSessionId}`, { name: 'Acme' })).status).toBe(200);
    now = T0 + 3 * MINUTE;
    await recordAudit(db, () => now, orgId, { action: 'staff.sign_in', actor: { type: 'staff', id: owner.userId }, ip: '192.0.2.1' });
    now = T0 + 4 * MINUTE;
    await recordAudit(db, () => now, orgId, { action: 'constituent.sign_in_failed', actor: { type: 'anonymous', id: null }, ip: '192.0.2.2' });
    now = T0 + 4.5 * MINUTE;
    await recordAudit(db, () => now, orgId, { action: 'client.created', actor: { type: 'cli', id: null } });
    now = T0 + 10 * MINUTE;
  });
  afterAll(async () => {
    await server?.close();
  });

  const ownerUser = () => ({ user_id: owner.userId, user_email: 'owner@acme.example', user_name: 'Olive Owner' });
  const opsUser = () => ({ user_id: ops.userId, user_email: 'ops@acme.example', user_name: null });
  const noUser = { user_id: null, user_email: null, user_name: null };

  // Regression: the actor named the key ({"type":"api_key","id":…}), not the person behind it.
  it('names the staff user behind each actor: a key used directly or through an API v1 session, a staff sign-in', async () => {
    const log = await api('GET', '/v2/audit?limit=200', basic(owner.key));
    expect(log.status).toBe(200);
    const actors = (log.json.data as Array<{ action: string; actor: Record<string, unknown> }>).map(({ action, actor }) => ({ action, actor }));
    expect(actors).toEqual([
      { action: 'client.created', actor: { type: 'cli', id: null, ...noUser } },
      { action: 'constituent.sign_in_failed', actor: { type: 'anonymous', id: null, ...noUser } },
      { action: 'staff.sign_in', actor: { type: 'staff', id: owner.userId, ...ownerUser() } },
      { action: 'org.updated', actor: { type: 'api_key', id: ops.keyId, ...opsUser() } },
      { action: 'api.session_opened', actor: { type: 'api_key', id: ops.keyId, ...opsUser() } },
      { action: 'org.updated', actor: { type: 'api_key', id: owner.keyId, ...ownerUser() } },
    ]);
  });

  it('keeps naming the user of a revoked key and of a disabled user', async () => {
    const created = await api('POST', '/v2/staff', basic(owner.key), { email: 'temp@acme.example', name: 'Tim Temp', role: 'admin', api_key: true });
    const temp = { userId: created.json.user.id as string, key: created.json.api_key as string };
    expect((await api('POST', `/v2/clients`, basic(temp.key), { name: 'Temp App', redirect_uris: ['https://temp.example/cb'] })).status).toBe(201);
    const keyId = await keyIdOf(temp.userId);
    expect((await api('POST', `/v2/staff/${temp.userId}/disable`, basic(owner.key))).status).toBe(200);
    const events = (await api('GET', `/v2/audit?actor_id=${keyId}`, basic(owner.key))).json.data;
    expect(events.map((e: { action: string; actor: unknown }) => [e.action, e.actor])).toEqual([['client.created', { type: 'api_key', id: keyId, user_id: temp.userId, user_email: 'temp@acme.example', user_name: 'Tim Temp' }]]);
  });

  it('filters by time: since (at or after) and until (before), RFC 3339, with the other filters and with cursors', async () => {
    const auth = basic(owner.key);
    const actions = async (query: string) => ((await api('GET', `/v2/audit?${query}`, auth)).json.data as Array<{ action: string; occurred_at: string }>).map((e) => `${e.action}@${e.occurred_at}`);
    expect(await actions(`since=${at(2)}&until=${at(4)}`)).toEqual([`staff.sign_in@${at(3)}`, `org.updated@${at(2.5)}`, `api.session_opened@${at(2)}`]);
    expect(await actions(`until=${at(2)}`)).toEqual([`org.updated@${at(1)}`]);
    expect(await actions(`since=${at(4)}&until=${at(5)}`)).toEqual([`client.created@${at(4.5)}`, `constituent.sign_in_failed@${at(4)}`]);
    expect(await actions(`since=${encodeURIComponent('2026-03-01T10:02:00+01:00')}&until=${at(3)}&action=org.updated`)).toEqual([`org.updated@${at(2.5)}`]);
    expect(await actions(`since=${at(1)}&until=${at(3)}&actor_id=${ops.keyId}`)).toEqual([`org.updated@${at(2.5)}`, `api.session_opened@${at(2)}`]);
    expect(await actions(`since=${at(5)}&until=${at(6)}`)).toEqual([]);
    // Pages within the window keep to it.
    const first = await api('GET', `/v2/audit?since=${at(1)}&until=${at(4)}&limit=3`, auth);
    expect(first.json.data.map((e: { action: string }) => e.action)).toEqual(['staff.sign_in', 'org.updated', 'api.session_opened']);
    const second = await api('GET', `/v2/audit?since=${at(1)}&until=${at(4)}&limit=3&cursor=${first.json.next_cursor}`, auth);
    expect(second.json.data.map((e: { occurred_at: string }) => e.occurred_at)).toEqual([at(1)]);
    expect(second.json.next_cursor).toBeNull();
  });

  it('refuses a time that is not RFC 3339, or a window that ends before it starts, with 400 naming the field', async () => {
    const auth = basic(owner.key);
    for (const [query, field] of [
      ['since=yesterday', 'since'],
      ['until=1740819600000', 'until'],
      ['since=2026-02-30T00:00:00Z', 'since'],
      ['since=2026-03-01T09:00:00', 'since'],
      [`since=${at(3)}&until=${at(3)}`, 'until'],
      [`since=${at(4)}&until=${at(2)}`, 'until'],
    ] as const) {
      const answer = await api('GET', `/v2/audit?${query}`, auth);
      expect(answer.status, query).toBe(400);
      expect(answer.json.error.fields.map((f: { field: string }) => f.field), query).toEqual([field]);
    }
  });
});
