import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_RETRY_AFTER_SECONDS, API_THROTTLE_LIMITS } from '../src/staff/api-auth.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { parseApiKey } from '../src/staff/api-keys.ts';
import { listAuditEvents } from '../src/audit/audit.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/** Failed API authentications: audited in the org they name, throttled with 429. A server per test: the throttle counts per IP, and every test call comes from 127.0.0.1. */
describe.each(DIALECTS)('failed API authentication on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let ownerKey: string;

  let otherOrgId: string;

  beforeEach(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, systemClock, { slug: 'acme', name: 'Acme' })).id;
    otherOrgId = (await createOrganization(db, systemClock, { slug: 'other' })).id;
    ownerKey = (await createStaffUser(db, systemClock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
  });
  afterEach(async () => {
    await server?.close();
  });

  const basic = (org: string, key: string) => `Basic ${Buffer.from(`${org}:${key}`).toString('base64')}`;
  /** `from`: the client address, as a loopback proxy forwards it (app.ts trusts X-Forwarded-For from 127.0.0.1). */
  async function get(path: string, authorization: string, from?: string, on: TestServer = server) {
    const response = await fetch(`${on.url}/api${path}`, { headers: { authorization, ...(from === undefined ? {} : { 'x-forwarded-for': from }) } });
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

  // Security review of issue 9 item 1: 21 requests without credentials (what an <img> on any page
  // makes a browser send) got the network's next request, with a valid key, a 429.
  it('does not count requests without credentials, nor a browser\'s cross-site reads, against the network', async () => {
    const noCredentials: Array<Record<string, string>> = [{}, { authorization: 'Bearer x' }, { 'sec-fetch-site': 'same-origin' }];
    for (let i = 0; i <= API_THROTTLE_LIMITS.failuresPerIp; i++) {
      for (const headers of noCredentials) expect((await fetch(`${server.url}/api/v2/org`, { headers })).status).toBe(401);
      const image = await fetch(`${server.url}/api/v2/org?userSessionId=x${i}`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' } });
      expect(image.status).toBe(403);
      // The same from a page of this origin (an org's logo URL pointing at the API).
      const ownImage = await fetch(`${server.url}/api/v2/org?userSessionId=y${i}`, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' } });
      expect(ownImage.status).toBe(403);
    }
    const login = async (body: Record<string, string>) => (await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    for (let i = 0; i <= API_THROTTLE_LIMITS.failuresPerIp; i++) expect(await login({ org_id: orgId })).toBe(401);
    expect((await get('/v2/org', basic(orgId, ownerKey))).status).toBe(200);
    expect(await login({ org_id: orgId, api_key: ownerKey })).toBe(200);
    // Wrong credentials still count.
    const wrong = ownerKey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    for (let i = 0; i < API_THROTTLE_LIMITS.failuresPerIp; i++) expect((await get('/v2/org', `Session wrong-${i}`)).status).toBe(401);
    expect((await get('/v2/org', basic(orgId, wrong))).status).toBe(429);
    expect((await get('/v2/org', basic(orgId, ownerKey))).status).toBe(429);
  });

  // Regression (issue 9, item 4): failures were counted per exact address, so an IPv6 client
  // rotating through its /64 was never throttled.
  it('counts an IPv6 client by its /64: failures from many of its addresses add up; another /64 is not throttled', async () => {
    const wrong = ownerKey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    for (let i = 0; i < API_THROTTLE_LIMITS.failuresPerIp; i++) expect((await get('/v2/org', basic(orgId, wrong), `2001:db8:5:6::${(i + 1).toString(16)}`)).status).toBe(401);
    const throttled = await get('/v2/org', basic(orgId, ownerKey), '2001:db8:5:6:aaaa:bbbb:cccc:dddd');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe(String(API_RETRY_AFTER_SECONDS));
    const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '2001:db8:5:6::ffff' }, body: JSON.stringify({ org_id: orgId, api_key: ownerKey }) });
    expect(login.status).toBe(429);
    expect((await get('/v2/org', basic(orgId, ownerKey), '2001:db8:5:7::1')).status).toBe(200);
    expect((await get('/v2/org', basic(orgId, ownerKey))).status).toBe(200);
  });

  it('counts an IPv6 client by the prefix RATE_LIMIT_IPV6_PREFIX sets', async () => {
    const wide = await startTestServer(dialect, { env: { RATE_LIMIT_IPV6_PREFIX: '48' } });
    try {
      const key = (await createStaffUser(wide.store.storage.db, systemClock, (await createOrganization(wide.store.storage.db, systemClock, { slug: 'wide' })).id, { email: 'o@wide.example', role: 'owner', withApiKey: true })).apiKey!;
      const wrong = key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      // Each failure from a /64 of its own, all in 2001:db8:9::/48.
      for (let i = 0; i < API_THROTTLE_LIMITS.failuresPerIp; i++) expect((await get('/v2/org', basic('wide', wrong), `2001:db8:9:${(i + 1).toString(16)}::1`, wide)).status).toBe(401);
      expect((await get('/v2/org', basic('wide', key), '2001:db8:9:ffff::1', wide)).status).toBe(429);
      expect((await get('/v2/org', basic('wide', key), '2001:db8:a::1', wide)).status).toBe(200);
    } finally {
      await wide.close();
    }
  });

  // Regression (issue 9 item 14): an API key sent as a Bearer token got a bare 401.
  it('says which schemes it takes when a request has none of them, by the scheme\'s name only', async () => {
    const schemes = 'It takes HTTP Basic (user name: the organization ID or slug; password: an API key), or Session <userSessionId> from POST /api/v1/login.';
    const cases: Array<[string | undefined, string]> = [
      [`Bearer ${ownerKey}`, `Authentication failed: this API does not take the Bearer scheme. ${schemes}`],
      ['Bearer something', `Authentication failed: this API does not take the Bearer scheme. ${schemes}`],
      ['Digest username="acme"', `Authentication failed: this API does not take the Digest scheme. ${schemes}`],
      ['"quoted" value', `Authentication failed: this API does not take that Authorization header. ${schemes}`],
      [undefined, `Authentication failed: no credentials. This API takes ${schemes.slice('It takes '.length)}`],
    ];
    for (const [auth, message] of cases) {
      const response = await fetch(`${server.url}/api/v2/org`, { headers: auth === undefined ? {} : { authorization: auth } });
      const answer = { status: response.status, headers: response.headers, json: await response.json() };
      expect(answer.status, auth).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Gatehouse API", charset="UTF-8", Session realm="Gatehouse API"');
      expect(answer.json, auth).toEqual({ error: { code: 'unauthorized', message } });
    }
  });

  async function auditOf(org: string) {
    return listAuditEvents(server.store.storage.db, org, { limit: 100, action: 'api.auth_failed' });
  }

  // Regression: failed API authentications were only logged, never audited.
  it('audits a failure in the org the credentials name, with the IP and key prefix, never the secret; nothing for unknown orgs', async () => {
    const { prefix, secret } = parseApiKey(ownerKey)!;
    const wrong = ownerKey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await get('/v2/org', basic(orgId, wrong))).status).toBe(401);
    expect((await get('/v2/org', basic('acme', 'not-a-key'))).status).toBe(401);
    expect((await get('/v2/org', basic('nope', ownerKey))).status).toBe(401);
    expect((await get('/v2/org', 'Session unknown-session')).status).toBe(401);
    expect((await get('/v2/org', 'Basic !!!')).status).toBe(401);
    const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: 'acme', api_key: wrong }) });
    expect(login.status).toBe(401);

    const { events } = await auditOf(orgId);
    expect(events.map((e) => ({ actor: e.actor, ip: e.ip, details: e.details })).reverse()).toEqual([
      { actor: { type: 'anonymous', id: null }, ip: '127.0.0.1', details: { reason: 'wrong secret', key_prefix: prefix } },
      { actor: { type: 'anonymous', id: null }, ip: '127.0.0.1', details: { reason: 'not an API key' } },
      { actor: { type: 'anonymous', id: null }, ip: '127.0.0.1', details: { reason: 'wrong secret', key_prefix: prefix } },
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(wrong.slice(-20));
    expect((await auditOf(otherOrgId)).events).toEqual([]);
  });

  it('cannot fill the audit log faster than the throttle allows, even with concurrent requests', async () => {
    const wrong = ownerKey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const answers = await Promise.all(Array.from({ length: 3 * API_THROTTLE_LIMITS.failuresPerIp }, () => get('/v2/org', basic(orgId, wrong))));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(API_THROTTLE_LIMITS.failuresPerIp);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(2 * API_THROTTLE_LIMITS.failuresPerIp);
    expect((await auditOf(orgId)).events).toHaveLength(API_THROTTLE_LIMITS.failuresPerIp);
  });

  // API keys are not counted before they are checked, as passwords are (accounts/sign-in-throttle.ts):
  // guessing a 256-bit key gains nothing from a burst, and counting first would refuse an
  // integration's parallel calls past the limit. A burst still gets no more 401s (nor audit events).
  it('answers a burst of POST /api/v1/login as the limit allows, and lets a burst of good logins through', async () => {
    const login = async (apiKey: string) => {
      const response = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: orgId, api_key: apiKey }) });
      await response.body?.cancel();
      return response.status;
    };
    const good = await Promise.all(Array.from({ length: API_THROTTLE_LIMITS.failuresPerIp + 5 }, () => login(ownerKey)));
    expect(good.filter((status) => status === 200)).toHaveLength(API_THROTTLE_LIMITS.failuresPerIp + 5);
    const wrong = ownerKey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const answers = await Promise.all(Array.from({ length: 3 * API_THROTTLE_LIMITS.failuresPerIp }, () => login(wrong)));
    expect(answers.filter((status) => status === 401)).toHaveLength(API_THROTTLE_LIMITS.failuresPerIp);
    expect(answers.filter((status) => status === 429)).toHaveLength(2 * API_THROTTLE_LIMITS.failuresPerIp);
    expect((await auditOf(orgId)).events).toHaveLength(API_THROTTLE_LIMITS.failuresPerIp);
  });
});
