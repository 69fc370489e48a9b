import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_RETRY_AFTER_SECONDS, API_THROTTLE_LIMITS } from '../src/accounts/sign-in-throttle.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/** Failed API authentications: throttled with 429. A server per test: the throttle counts per IP, and every test call comes from 127.0.0.1. */
describe.each(DIALECTS)('failed API authentication on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let ownerKey: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, systemClock, { slug: 'acme', name: 'Acme' })).id;
    ownerKey = (await createStaffUser(db, systemClock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (org: string, key: string) => `Basic ${Buffer.from(`${org}:${key}`).toString('base64')}`;
  async function get(path: string, authorization: string) {
    const response = await fetch(`${server.url}/api${path}`, { headers: { authorization } });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, any> };
  }

  // Regression: a throttled API v2 call answered 401, unlike POST /api/v1/login (429 with Retry-After).
  it('answers 401 until the throttle trips, then 429 with Retry-After, even with a good key', async () => {
    const wrong = ownerKey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    for (let i = 0; i < API_THROTTLE_LIMITS.failuresPerIp; i++) expect((await get('/v2/org', basic(orgId, wrong))).status).toBe(401);
    for (const auth of [basic(orgId, wrong), basic(orgId, ownerKey)]) {
      const throttled = await get('/v2/org', auth);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe(String(API_RETRY_AFTER_SECONDS));
      expect(throttled.json).toEqual({ error: { code: 'too_many_attempts', message: 'Too many failed attempts; try again later.' } });
    }
    const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: orgId, api_key: ownerKey }) });
    expect(login.status).toBe(429);
    expect(login.headers.get('retry-after')).toBe(String(API_RETRY_AFTER_SECONDS));
  });
});
